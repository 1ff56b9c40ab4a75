/* clu_ckpt.h - the checkpoint format's envelope (clu_ckpt.c), for the tests
 * that damage checkpoints on purpose.  The stage and tools use
 * cx_clusterer_save / cx_clusterer_load from clusterer.h. */
#ifndef CLU_CKPT_H
#define CLU_CKPT_H
#include <stddef.h>
#include <stdint.h>

#define CLU_CKPT_MAGIC "CXCK"
#define CLU_CKPT_VERSION 2
#define CLU_CKPT_HEADER 24   /* magic, u16 version, u16 0, u64 body length, u64 checksum */

/* The checksum of a body (not cryptographic: it detects damage). */
uint64_t clu_ckpt_sum(const void *body, size_t n);

/* Recompute the checksum in the header of a checkpoint of len bytes, so
 * that a test can hand a deliberately altered body to the parser.  0, or -1
 * when len is shorter than the header. */
int clu_ckpt_seal(void *ckpt, size_t len);

#endif
