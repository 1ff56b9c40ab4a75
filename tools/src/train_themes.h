/* train_themes.h - `cxflow-train themes` (tools/src/train_themes.c), called
 * by cxflow-train's main (tools/src/train.c) for the kind "themes". */
#ifndef CX_TRAIN_THEMES_H
#define CX_TRAIN_THEMES_H

/* argv[1] is "themes"; the options follow.  Returns the exit status. */
int train_themes_main(int argc, char **argv);

#endif
