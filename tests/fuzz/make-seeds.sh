#!/bin/bash
# make-seeds.sh - regenerate the committed seed corpora of the fuzz targets
# (tests/fuzz/corpus/TARGET/; chapter 9, "Reliability"). Run from the
# repository root after `make build/tests/bad-images build/fuzz/make-vblk-seeds`
# (`make fuzz-seeds` does both). Seeds are small, readable starting points;
# the fuzzer mutates them into everything else.
set -eu
C=tests/fuzz/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# x86: byte 0 = machine flags (fuzz-x86.c: 1 paging, 2 user, 4 IF, 8 PSE,
# 0x10 WP, 0x20 16-bit code), bytes 1-4 = register seed, then the code.
x86_seed() {        # NAME FLAGS ASM
    printf '%s\n' "$3" | as --32 -o "$T/s.o" -
    objcopy -O binary -j .text "$T/s.o" "$T/s.bin"
    { printf "\\x$(printf %02x "$2")\\x11\\x22\\x33\\x44"; cat "$T/s.bin"; } >"$C/x86/$1"
}
rm -f "$C"/x86/*
x86_seed alu 0x00 'mov $5,%ecx; 1: add %ecx,%eax; imul %eax,%ebx; shl $3,%edx; xor %ebx,%edx; loop 1b; hlt'
x86_seed paging-pt-write 0x01 'mov $0x4000,%edi; movl $0x5007,4(%edi); invlpg 0x1000; mov %cr3,%eax; mov %eax,%cr3; movl $1,0x1000; movl $2,0x401000; hlt'
x86_seed paging-off-on 0x19 'mov %cr0,%eax; and $0x7fffffff,%eax; mov %eax,%cr0; or $0x80000000,%eax; mov %eax,%cr0; movl $3,0x800000; hlt'
x86_seed rep-movsb-huge 0x00 'cld; mov $0x5000,%esi; mov $0x8000,%edi; mov $0x1000000,%ecx; rep movsb; hlt'
x86_seed rep-string-io 0x00 'mov $0x3f8,%dx; mov $0x5000,%esi; mov $100000,%ecx; rep outsb; mov $0x9000,%edi; mov $64,%ecx; rep insl; std; rep stosw; hlt'
x86_seed int-iret 0x04 'sti; int $0x30; pushf; popf; iret; lcall $0x08,$0x5000; lret; hlt'
x86_seed far-jump-16 0x00 'ljmp $0x30,$0x5010; nop; nop; nop; nop; nop; nop; nop; nop; nop; xor %eax,%eax; hlt'
x86_seed user-privileged 0x03 'in $0x60,%al; cli; hlt; int $0x80; mov %eax,%cr3; lgdt (%eax); sysenter'
x86_seed self-modify 0x00 'movb $0x40,1f; jmp 1f; 1: nop; movl $0x90909090,0x5000; jmp 0x5000'
x86_seed segments 0x00 'mov $0x10,%ax; mov %ax,%ds; mov $0x23,%ax; mov %ax,%es; lds (%ebx),%eax; mov $0x28,%ax; ltr %ax; lldt %ax; hlt'
x86_seed mmio 0x00 'movl $0x12345678,0xfec00000; mov 0xfee00020,%eax; addl $1,0x10000; hlt'
x86_seed code16 0x20 '.code16; mov $0x1234,%ax; push %ax; pop %bx; add %bx,%ax; jmp .+2; hlt'
x86_seed sti-hlt-loop 0x04 'sti; 1: hlt; inc %eax; jmp 1b'
x86_seed div-faults 0x00 'xor %ecx,%ecx; div %ecx; ud2; int3; into; bound %eax,(%ebx); hlt'

# gdb-packet: what gdb sends, framed as $payload#checksum, acks and a Ctrl-C.
gdb_seed() {        # NAME PAYLOAD [PREFIX]
    local sum=0 i c
    for ((i = 0; i < ${#2}; i++)); do
        printf -v c '%d' "'${2:i:1}"
        sum=$(((sum + c) % 256))
    done
    printf '%s$%s#%02x' "${3:-}" "$2" "$sum" >"$C/gdb-packet/$1"
}
mkdir -p "$C/gdb-packet" "$C/monitor-parse"
rm -f "$C"/gdb-packet/* "$C"/monitor-parse/*
gdb_seed qsupported 'qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386' '+'
gdb_seed halt-reason '?'
gdb_seed read-regs 'g' '+'
gdb_seed write-regs 'G00000000111111112222222233333333'
gdb_seed read-mem 'm c0100000,40'
gdb_seed write-mem 'M 100000,4:deadbeef'
gdb_seed write-reg 'P8=78563412'
gdb_seed break 'Z0,c0101234,1'
gdb_seed unbreak 'z0,c0101234,1'
gdb_seed step-continue 's'
gdb_seed escaped 'M100000,2:}]}}'
printf '\x03' >"$C/gdb-packet/ctrl-c"
printf '$m0,4#00-+' >"$C/gdb-packet/bad-checksum"

# monitor-parse: command lines and address expressions.
for line in 'x/4xw $esp+8' 'xp/16xb 0x100000' 'pt exec+4' '$eip - 0x10 + main' \
            'break 0xc0100000' 'x/3i $eip' 'step 100' 'engine trap' 'rgs' '0xffffffff+1'; do
    printf '%s' "$line" >"$C/monitor-parse/$(printf '%s' "$line" | tr -c 'a-z0-9' '_')"
done

# loader: the malformed kernels of tests/tools/bad-images.c, and a good one.
rm -f "$C"/loader/*
build/tests/bad-images "$C/loader"

# virtio-blk: requests in guest RAM and the register script that sets them off.
rm -f "$C"/virtio-blk/*
build/fuzz/make-vblk-seeds "$C/virtio-blk"
du -sh "$C"
