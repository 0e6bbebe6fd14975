/*
 * files.h: file helpers the C tests share.  Part of the test helper
 * library, built only for make check.
 */
#ifndef TAP_FILES_H
#define TAP_FILES_H

/* Removes dir and everything below it (links are removed, never
 * followed); what cannot be removed is left. */
void tfiles_remove_tree(const char *dir);

#endif
