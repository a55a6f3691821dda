# monitor-kvm.sh - the monitor on the kvm engine (chapter 7): exits counted
# by reason, the software VMCS read from KVM's real state (KVM_GET_REGS/
# SREGS and the last exit, here the guest's power-off port write), and the
# guest's result. (The kvm engine has no breakpoints or steps yet.)
# Needs hardware-assisted KVM: tests/integration/kvm-hw.sh runs it directly
# or in the nested machine of scripts/nested-kvm.
source tests/integration/lib.sh
plan 6

printf '%s\n' exits cont "vmcs VM_EXIT_REASON" "vmcs GUEST_RIP" regs \
    "vmcs GUEST_CR3" sregs exits >"$WORK/in"
run_vmm kvm "run=compute n=1000" "$WORK/in" --monitor
label="monitor on kvm"
expect_output "$label: no exits before the first instruction" "^exits on kvm: 0,"
expect_output "$label: VM_EXIT_REASON is 30 (0x1e), the power-off port write" "^  VM_EXIT_REASON  *4402  0000001e$"
rip=$(sed -n 's/^  GUEST_RIP  *681e  \([0-9a-f]*\)$/\1/p' "$WORK/out" | head -1)
eip=$(sed -n 's/^eip 0x\([0-9a-f]*\).*/\1/p' "$WORK/out" | head -1)
if [ -n "$rip" ] && [ "$rip" = "$eip" ]; then pass "$label: GUEST_RIP is the vCPU's EIP ($eip)"
else fail "$label: GUEST_RIP is the vCPU's EIP" "GUEST_RIP '$rip', regs eip '$eip'"; fi
cr3=$(sed -n 's/^  GUEST_CR3  *6802  0*\([0-9a-f]*\)$/\1/p' "$WORK/out" | head -1)
scr3=$(sed -n 's/^cr3  *0x0*\([0-9a-f]*\).*/\1/p' "$WORK/out" | head -1)
if [ -n "$cr3" ] && [ "$cr3" = "$scr3" ]; then pass "$label: GUEST_CR3 is the vCPU's CR3 ($cr3)"
else fail "$label: GUEST_CR3 is the vCPU's CR3" "GUEST_CR3 '$cr3', sregs cr3 '$scr3'"; fi
expect_output "$label: the exits table counts I/O exits by reason" "^    30  I/O instruction  *[1-9]"
expect_result "$label: the guest's result" "$($ORACLE compute 1000)" 0
