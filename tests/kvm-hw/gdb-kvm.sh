# gdb-kvm.sh - the gdb stub on the kvm engine (chapter 7), spoken to in
# gdb's remote protocol from bash: registers, memory (kmain's code against
# the kernel's file), continue to the guest's end and its status, and the
# oracle's result. (Packets, not gdb itself: the nested
# machine of scripts/nested-kvm carries no gdb; gdb-stub.sh drives gdb.)
# Needs hardware-assisted KVM: tests/integration/kvm-hw.sh runs it.
source tests/integration/lib.sh
plan 4
label="gdb stub on kvm"

# packet PAYLOAD: $PAYLOAD#checksum
packet() {
    local p=$1 sum=0 i
    for ((i = 0; i < ${#p}; i++)); do
        sum=$(( (sum + $(printf '%d' "'${p:i:1}")) % 256 ))
    done
    printf '$%s#%02x' "$p" "$sum"
}
# rsp PAYLOAD: send a packet and acknowledge the reply, which lands in
# $reply; non-zero when none came within 60 s.
rsp() {
    local c
    packet "$1" >&3
    reply=""
    while IFS= read -r -N1 -t $((60 * TIMEOUT_SCALE)) -u 3 c; do
        [ "$c" = '$' ] && break
    done || return 1
    while IFS= read -r -N1 -t 10 -u 3 c && [ "$c" != '#' ]; do
        reply+=$c
    done
    read -r -N2 -t 10 -u 3 c
    printf '+' >&3
}
# eip_of REPLY: EIP (register 8) from a 'g' reply, as 0x%08x.
eip_of() {
    local le=${1:64:8}
    printf '0x%s%s%s%s' "${le:6:2}" "${le:4:2}" "${le:2:2}" "${le:0:2}"
}

addr=0x$(nm "$KERNEL" | awk '$3 == "kmain" { print $1 }')
cp "$DISK" "$WORK/disk.img"
PORT=$(( 20000 + (RANDOM % 20000) ))
timeout $((120 * TIMEOUT_SCALE)) "$VMM" run --engine kvm --disk "$WORK/disk.img" \
    --cmdline "run=compute n=1000" --gdb "$PORT" "$KERNEL" </dev/null >"$WORK/out" 2>"$WORK/err" &
vmm_pid=$!
for _ in $(seq 200); do
    grep -q "waiting for gdb" "$WORK/err" && break
    sleep 0.05
done
if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
    fail "$label: the stub listens" "$(cat "$WORK/err")"
    kill "$vmm_pid"
    exit 0
fi
rsp g
if [ "$(eip_of "$reply")" = 0x0010000c ]; then pass "$label: g: EIP at the kernel's entry"
else fail "$label: g: EIP at the kernel's entry" "EIP $(eip_of "$reply") in '$reply'"; fi
# kmain's first 4 bytes: paging is still off, so at its physical address;
# the same bytes from the kernel's file, at kmain's offset in its segment.
off= phys=
while read -r type foff vaddr paddr filesz _; do
    [ "$type" = LOAD ] && [ $((addr)) -ge $((vaddr)) ] && [ $((addr)) -lt $((vaddr + filesz)) ] &&
        off=$((addr - vaddr + foff)) phys=$((addr - vaddr + paddr))
done < <(readelf -lW "$KERNEL")
rsp "m$(printf %x "${phys:-0}"),4"
want=$(od -An -tx1 -j "${off:-0}" -N4 "$KERNEL" | tr -d ' \n')
if [ -n "$off" ] && [ "$reply" = "$want" ]; then pass "$label: m reads kmain's first bytes ($reply)"
else fail "$label: m reads kmain's first bytes" "reply '$reply', the file has '$want'"; fi
# The kvm engine has no breakpoints or single steps yet (it would need
# KVM_SET_GUEST_DEBUG): continue runs the guest to its end, and the stub
# reports the exit status, 'W' and the code.
rsp c
if [ "$reply" = W00 ]; then pass "$label: continue runs the guest to its end (W00)"
else fail "$label: continue runs the guest to its end (W00)" "reply '$reply'"; fi
exec 3>&-
wait "$vmm_pid"
status=$?
tr -d '\r' <"$WORK/out" >"$WORK/out.txt" && mv "$WORK/out.txt" "$WORK/out"
expect_result "$label: the guest's result" "$($ORACLE compute 1000)" 0
