# vmm/x86/x86.mk - the x86 decoder, executor and disassembler (chapter 2)
# and their unit tests. Included by the top Makefile.
HOST_SRCS += vmm/x86/decode.c
HOST_SRCS += vmm/x86/alu.c
HOST_SRCS += vmm/x86/step.c
HOST_SRCS += vmm/x86/exec.c
HOST_SRCS += vmm/x86/exec-0f.c
HOST_SRCS += vmm/x86/exec-string.c
HOST_SRCS += vmm/x86/exec-system.c
HOST_SRCS += vmm/x86/disasm.c
UNIT_TESTS += test_x86_alu
UNIT_TESTS += test_x86_exec
UNIT_TESTS += test_x86_disasm
UNIT_TESTS += test_x86_difftest
