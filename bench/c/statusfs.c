/*
 * A minimal C libfuse 2 filesystem for bench/fs: one dynamic file, /status, rendered on
 * open at offset 0 with the same size and semantics as agentsys's (st_size 0 + direct_io,
 * snapshot per open). It is the reference the FUSE issue compares against ("status within
 * 3x of an equivalent C libfuse program"). Written for this project.
 *
 * Build: gcc -O2 -o statusfs statusfs.c $(pkg-config --cflags --libs fuse)
 * Run:   ./statusfs <mountpoint> <bytes> -f -o direct_io,auto_unmount
 */
#define FUSE_USE_VERSION 29
#include <fuse.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static size_t status_len = 2048;

static int sfs_getattr(const char *path, struct stat *st) {
  memset(st, 0, sizeof *st);
  if (strcmp(path, "/") == 0) { st->st_mode = S_IFDIR | 0555; st->st_nlink = 2; return 0; }
  if (strcmp(path, "/status") == 0) { st->st_mode = S_IFREG | 0444; st->st_nlink = 1; st->st_size = 0; return 0; }
  return -ENOENT;
}

static int sfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi) {
  (void)off; (void)fi;
  if (strcmp(path, "/") != 0) return -ENOENT;
  fill(buf, ".", NULL, 0); fill(buf, "..", NULL, 0); fill(buf, "status", NULL, 0);
  return 0;
}

struct snap { size_t len; char data[]; };

static int sfs_open(const char *path, struct fuse_file_info *fi) {
  if (strcmp(path, "/status") != 0) return -ENOENT;
  struct snap *s = malloc(sizeof *s + status_len);
  if (!s) return -ENOMEM;
  s->len = 0;
  fi->fh = (uint64_t)(uintptr_t)s;
  return 0;
}

/* Render like a status table: a header, then rows, to status_len bytes. */
static void render(struct snap *s) {
  static unsigned long counter;
  size_t n = (size_t)snprintf(s->data, status_len, "Agent Supervision Module - Telemetry Status\nrender %lu\n", ++counter);
  while (n + 48 < status_len) n += (size_t)snprintf(s->data + n, status_len - n, "  %4lu  %6d %5d  %6d %8d  %7d\n", n, 1, 0, 0, 0, 0);
  while (n < status_len) s->data[n++] = '\n';
  s->len = status_len;
}

static int sfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  struct snap *s = (struct snap *)(uintptr_t)fi->fh;
  if (off == 0 || s->len == 0) render(s);
  if ((size_t)off >= s->len) return 0;
  size_t n = s->len - (size_t)off < size ? s->len - (size_t)off : size;
  memcpy(buf, s->data + off, n);
  return (int)n;
}

static int sfs_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  free((void *)(uintptr_t)fi->fh);
  return 0;
}

static struct fuse_operations ops = {
  .getattr = sfs_getattr, .readdir = sfs_readdir, .open = sfs_open, .read = sfs_read, .release = sfs_release,
};

int main(int argc, char *argv[]) {
  if (argc < 3) { fprintf(stderr, "usage: %s <mountpoint> <bytes> [fuse options]\n", argv[0]); return 2; }
  status_len = (size_t)strtoul(argv[2], NULL, 10);
  if (status_len < 64) status_len = 64;
  char *fargv[16];
  int fargc = 0;
  fargv[fargc++] = argv[0];
  fargv[fargc++] = argv[1];
  for (int i = 3; i < argc && fargc < 15; i++) fargv[fargc++] = argv[i];
  return fuse_main(fargc, fargv, &ops, NULL);
}
