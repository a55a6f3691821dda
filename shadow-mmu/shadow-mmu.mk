# shadow-mmu/shadow-mmu.mk - sources of shadow-mmu/ (see the top Makefile)
HOST_SRCS += shadow-mmu/page-walk.c
HOST_SRCS += shadow-mmu/soft-tlb.c
UNIT_TESTS += test_page_walk
UNIT_TESTS += test_soft_tlb
HOST_SRCS += shadow-mmu/shadow.c
UNIT_TESTS += test_shadow
UNIT_TESTS += test_shadow_property
HOST_SRCS += shadow-mmu/walk-model.c
UNIT_TESTS += test_walk_model
