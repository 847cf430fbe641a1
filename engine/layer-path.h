/* Paths inside a layer, from untrusted archives: cleaning names and opening directories
 * beneath the layer root without ever following a symbolic link. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Clean an archive member name into OUT: "./" prefixes, "." components and repeated or
 * trailing slashes go. An absolute name or a ".." component is -EINVAL, an overlong one
 * -ENAMETOOLONG. "" is the layer root. */
int layer_path_clean(const char *in, char *out, size_t size);

/* Split a clean REL in place: *RET_PARENT is its directory ("" for the root), *RET_BASE its
 * last component. */
void layer_path_split(char *rel, const char **ret_parent, const char **ret_base);

/* Open the directory REL (clean) beneath ROOT as an O_PATH fd, following no symbolic link:
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV).
 * CREATE makes missing directories (mode 0755) one component at a time, each opened with
 * O_NOFOLLOW. A link or a non-directory on the way is -ELOOP / -ENOTDIR. */
int layer_path_open_dir(int root, const char *rel, bool create);
