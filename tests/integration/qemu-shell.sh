# qemu-shell.sh - the shell, driven through serial input on QEMU (chapter 1).
source "$(dirname "$0")/lib.sh"
plan 7

printf 'help\nls\nhello a=1 b=2\nnosuch\ncompute n=1000\npoweroff 3\n' >"$WORK/in"
run_qemu "" "$WORK/in"
expect_output "qemu shell: greets" "^toy shell: type 'help'"
expect_output "qemu shell: help" "^  poweroff \[CODE\]"
expect_output "qemu shell: ls lists the workloads" "^forkwait$"
expect_output "qemu shell: runs a program with arguments" "^hello from pid [0-9]*: a=1 b=2$"
expect_output "qemu shell: unknown program" "^sh: nosuch: no such program"
expect_output "qemu shell: runs a workload" "^$($ORACLE compute 1000)$"
if [ "$status" = "$(qemu_status 3)" ]; then pass "qemu shell: poweroff 3"; else fail "qemu shell: poweroff 3" "status $status"; fi
