/* output.c - what every output of the sink stage shares (output.h). */
#include "cx_alloc.h"
#include "output.h"

void cx_output_close(cx_output **op) {
    if (!op || !*op) return;
    if ((*op)->close) (*op)->close(*op);
    cx_free(*op);
    *op = NULL;
}
