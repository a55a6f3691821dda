/* ramfs-image.S - link the ramfs image (the user programs) into the kernel. */
.section .rodata
.align 4
.globl ramfs_image
ramfs_image:
    .incbin RAMFS_PATH
.globl ramfs_image_end
ramfs_image_end:

.section .note.GNU-stack, "", @progbits
