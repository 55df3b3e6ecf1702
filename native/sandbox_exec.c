/*
 * agentsys-sandbox-exec: what bubblewrap cannot do for an agent's sandbox, done just before the
 * agent's command is exec'd (docs/sandbox_exec.md). Node cannot call prctl, setrlimit or the
 * Landlock syscalls in a child between fork and exec, so this small program does, in two roles:
 *
 *   outside:  agentsys-sandbox-exec --hold-signals -- bwrap …
 *             ignore SIGTERM/SIGINT/SIGHUP and exec bwrap: a graceful stop of the agent's
 *             process group then reaches the agent, not bwrap (whose death SIGKILLs the sandbox);
 *   inside:   agentsys-sandbox-exec [--fsize N] [--ro P]… [--rw P]… [--scope-signals]
 *                                   [--landlock-required] [--seccomp] [--relay PORT:SOCKET]… -- command args…
 *             put the default signal dispositions back, set no_new_privs, RLIMIT_FSIZE, a
 *             Landlock ruleset, start the relay child, and exec the command.
 *
 * Exit codes, as env(1): 125 an error of this program (one line on stderr), 126 the command is
 * not executable, 127 it is not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NAME "agentsys-sandbox-exec"
#define VERSION "1"

/* Landlock, defined here: Debian 12's linux/landlock.h stops at ABI 2. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE … MAKE_SYM */
#define LL_FS_REFER (1ULL << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

#define MAX_PATHS 256
#define MAX_RELAYS 8

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, NAME ": ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(125);
}

static int landlock_abi(void) {
  long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : (int)v;
}

static uint64_t fs_rights(int abi) {
  uint64_t r = LL_FS_ABI1;
  if (abi >= 2) r |= LL_FS_REFER;
  if (abi >= 3) r |= LL_FS_TRUNCATE;
  if (abi >= 5) r |= LL_FS_IOCTL_DEV;
  return r;
}

/* Devices every program expects to write to, whatever the view (always read-write). */
static const char *const ALWAYS_RW[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/pts", "/dev/ptmx", "/dev/shm", NULL};

static void add_rule(int ruleset, const char *path, uint64_t access, uint64_t handled) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return; /* a path the view does not have: nothing to allow */
  struct ll_path_beneath_attr pb = {.allowed_access = access & handled, .parent_fd = fd};
  /* A rule on a file (not a directory) may only carry file rights. */
  if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0 && errno == EINVAL) {
    pb.allowed_access &= LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
    if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0) die("landlock_add_rule %s failed", path);
  }
  close(fd);
}

static int apply_landlock(int abi, const char **ro, int nro, const char **rw, int nrw, int fs, int scope) {
  struct ll_ruleset_attr attr = {0};
  size_t size = sizeof(uint64_t);
  if (fs) attr.handled_access_fs = fs_rights(abi);
  if (abi >= 4) size = 2 * sizeof(uint64_t);
  if (scope && abi >= 6) {
    attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
    size = sizeof attr;
  }
  if (!attr.handled_access_fs && !attr.scoped) return 0;
  int rs = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
  if (rs < 0) return -1;
  const uint64_t read = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
  if (fs) {
    for (int i = 0; i < nro; i++) add_rule(rs, ro[i], read, attr.handled_access_fs);
    for (int i = 0; i < nrw; i++) add_rule(rs, rw[i], attr.handled_access_fs, attr.handled_access_fs);
    for (int i = 0; ALWAYS_RW[i]; i++) add_rule(rs, ALWAYS_RW[i], attr.handled_access_fs, attr.handled_access_fs);
  }
  if (syscall(__NR_landlock_restrict_self, rs, 0) < 0) return -1;
  close(rs);
  return 0;
}

/* ---- seccomp (x86_64 and aarch64 syscall numbers come from <sys/syscall.h>) ---- */
#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SECCOMP_ARCH
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n)) /* little-endian low word */
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define DENY RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define ALLOW RET(SECCOMP_RET_ALLOW)
/* if (A == nr) return EPERM; */
#define BLOCK(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), DENY

static void apply_seccomp(void) {
  struct sock_filter f[] = {
      LD(offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
      RET(SECCOMP_RET_KILL_PROCESS),
      LD(offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
      /* x32 syscalls (bit 30) would bypass the numbers below */
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
      DENY,
#endif
      /* clone3's flags live in memory a filter cannot read: ENOSYS makes libc fall back to clone */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
      RET(SECCOMP_RET_ERRNO | ENOSYS),
      BLOCK(SYS_ptrace),
      BLOCK(SYS_process_vm_readv),
      BLOCK(SYS_process_vm_writev),
      BLOCK(SYS_mount),
      BLOCK(SYS_umount2),
      BLOCK(SYS_pivot_root),
      BLOCK(SYS_fsopen),
      BLOCK(SYS_fsconfig),
      BLOCK(SYS_fsmount),
      BLOCK(SYS_fspick),
      BLOCK(SYS_move_mount),
      BLOCK(SYS_open_tree),
      BLOCK(SYS_mount_setattr),
      BLOCK(SYS_unshare),
      BLOCK(SYS_setns),
      BLOCK(SYS_keyctl),
      BLOCK(SYS_add_key),
      BLOCK(SYS_request_key),
      BLOCK(SYS_bpf),
      BLOCK(SYS_perf_event_open),
      BLOCK(SYS_userfaultfd),
      BLOCK(SYS_kexec_load),
      BLOCK(SYS_kexec_file_load),
      BLOCK(SYS_init_module),
      BLOCK(SYS_finit_module),
      BLOCK(SYS_delete_module),
      BLOCK(SYS_open_by_handle_at),
      BLOCK(SYS_name_to_handle_at),
      BLOCK(SYS_swapon),
      BLOCK(SYS_swapoff),
      BLOCK(SYS_reboot),
      BLOCK(SYS_acct),
      BLOCK(SYS_quotactl),
      BLOCK(SYS_chroot),
      /* clone(flags, …): no new namespaces (flags are arg 0 on x86_64 and aarch64) */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4),
      LD(ARG_LO(0)),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
               CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                   CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME,
               0, 1),
      DENY,
      ALLOW,
      /* socket(domain, type, protocol): no AF_PACKET; AF_NETLINK only NETLINK_ROUTE (getifaddrs) */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 7),
      LD(ARG_LO(0)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_PACKET, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 3),
      LD(ARG_LO(2)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_ROUTE, 1, 0),
      DENY,
      ALLOW,
      /* ioctl(fd, TIOCSTI / TIOCLINUX): no typing into the controlling terminal */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 5),
      LD(ARG_LO(1)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1),
      DENY,
      ALLOW,
      ALLOW,
  };
  struct sock_fprog prog_ = {.len = (unsigned short)(sizeof f / sizeof *f), .filter = f};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog_) != 0)
    die("seccomp(SET_MODE_FILTER): %s", strerror(errno));
}
#else
static void apply_seccomp(void) { die("--seccomp: not supported on this architecture"); }
#endif

/* ---- The relay: 127.0.0.1:PORT inside → the daemon's unix socket, for every connection. ---- */

struct relay {
  int listen_fd;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

#define MAX_PAIRS 512
#define BUF 65536

struct half {
  int from, to;
  char buf[BUF];
  size_t len, off;
  int eof;  /* read side saw EOF */
  int done; /* shut down toward `to` */
};

struct pair {
  struct half h[2];
  int used;
};

static struct pair pairs[MAX_PAIRS];

static int unix_connect(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  for (int attempt = 0; attempt < 20; attempt++) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
      fcntl(fd, F_SETFL, O_NONBLOCK);
      return fd;
    }
    int e = errno;
    close(fd);
    /* The daemon may still be binding the socket in the agent's first milliseconds. */
    if (e != ENOENT && e != ECONNREFUSED) return -1;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return -1;
}

static void close_pair(struct pair *p) {
  close(p->h[0].from);
  close(p->h[0].to);
  p->used = 0;
}

/* Move bytes one way; returns 0 while the half is alive. */
static void pump(struct half *h, short revents_from, short revents_to) {
  if (!h->eof && h->len == 0 && (revents_from & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(h->from, h->buf, BUF);
    if (n > 0) {
      h->len = (size_t)n;
      h->off = 0;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      h->eof = 1;
    }
  }
  if (h->len > 0 && (revents_to & (POLLOUT | POLLERR | POLLHUP))) {
    ssize_t n = write(h->to, h->buf + h->off, h->len);
    if (n > 0) {
      h->off += (size_t)n;
      h->len -= (size_t)n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      h->eof = 1;
      h->len = 0;
    }
  }
  if (h->eof && h->len == 0 && !h->done) {
    shutdown(h->to, SHUT_WR);
    h->done = 1;
  }
}

static void run_relays(struct relay *relays, int n) {
  static struct pollfd fds[MAX_RELAYS + 2 * MAX_PAIRS];
  for (;;) {
    int k = 0;
    for (int i = 0; i < n; i++) fds[k++] = (struct pollfd){.fd = relays[i].listen_fd, .events = POLLIN};
    int map[MAX_PAIRS];
    int np = 0;
    for (int i = 0; i < MAX_PAIRS; i++) {
      if (!pairs[i].used) continue;
      struct pair *p = &pairs[i];
      short ev0 = 0, ev1 = 0; /* fd a = h[0].from (tcp), fd b = h[0].to (unix) */
      if (!p->h[0].eof && p->h[0].len == 0) ev0 |= POLLIN;
      if (p->h[1].len > 0) ev0 |= POLLOUT;
      if (!p->h[1].eof && p->h[1].len == 0) ev1 |= POLLIN;
      if (p->h[0].len > 0) ev1 |= POLLOUT;
      fds[k++] = (struct pollfd){.fd = p->h[0].from, .events = ev0};
      fds[k++] = (struct pollfd){.fd = p->h[0].to, .events = ev1};
      map[np++] = i;
    }
    if (poll(fds, (nfds_t)k, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < n; i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      int c = accept4(relays[i].listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) continue;
      int slot = -1;
      for (int j = 0; j < MAX_PAIRS; j++)
        if (!pairs[j].used) {
          slot = j;
          break;
        }
      int u = slot < 0 ? -1 : unix_connect(relays[i].path);
      if (u < 0) {
        close(c);
        continue;
      }
      struct pair *p = &pairs[slot];
      memset(p, 0, sizeof *p);
      p->used = 1;
      p->h[0].from = c;
      p->h[0].to = u;
      p->h[1].from = u;
      p->h[1].to = c;
    }
    for (int j = 0; j < np; j++) {
      struct pair *p = &pairs[map[j]];
      if (!p->used) continue;
      short ra = fds[n + 2 * j].revents, rb = fds[n + 2 * j + 1].revents;
      pump(&p->h[0], ra, rb);
      pump(&p->h[1], rb, ra);
      if (p->h[0].done && p->h[1].done) close_pair(p);
    }
  }
}

static int listen_tcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/*
 * The relay runs as an orphan of the sandbox's init (bwrap's pid 1), not as the agent's child:
 * a shell's `wait` or a reaper in the agent must not meet it. It ends with the sandbox (the pid
 * namespace dies with its init, which ends with the agent).
 */
static void start_relays(struct relay *relays, int n) {
  if (n == 0) return;
  pid_t pid = fork();
  if (pid < 0) die("fork for the relay failed: %s", strerror(errno));
  if (pid > 0) {
    for (int i = 0; i < n; i++) close(relays[i].listen_fd);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    return;
  }
  pid_t grandchild = fork();
  if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
  prctl(PR_SET_NAME, "agentsys-relay");
  /* Hold nothing of the agent's: its notify pipe must end when the agent does. */
  for (int fd = 3; fd < 1024; fd++) {
    int keep = 0;
    for (int i = 0; i < n; i++) keep |= relays[i].listen_fd == fd;
    if (!keep) close(fd);
  }
  run_relays(relays, n);
  _exit(0);
}

static long parse_num(const char *s, const char *what, long max) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || v < 0 || v > max) die(what, s);
  return v;
}

int main(int argc, char **argv) {
  const char *ro[MAX_PATHS], *rw[MAX_PATHS];
  int nro = 0, nrw = 0, hold = 0, scope = 0, required = 0, fs = 0, seccomp = 0;
  long long fsize = -1;
  struct relay relays[MAX_RELAYS];
  int nrelay = 0;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    int has_arg = i + 1 < argc;
    if (strcmp(a, "--version") == 0) {
      printf(NAME " " VERSION "\n");
      return 0;
    } else if (strcmp(a, "--probe") == 0) {
      printf("landlock=%d\n", landlock_abi());
      return 0;
    } else if (strcmp(a, "--hold-signals") == 0) {
      hold = 1;
    } else if (strcmp(a, "--scope-signals") == 0) {
      scope = 1;
    } else if (strcmp(a, "--seccomp") == 0) {
      seccomp = 1;
    } else if (strcmp(a, "--landlock-required") == 0) {
      required = 1;
    } else if (strcmp(a, "--fsize") == 0 && has_arg) {
      fsize = parse_num(argv[++i], "--fsize %s: expected a number of bytes", 0x7fffffffffffffffL);
    } else if ((strcmp(a, "--ro") == 0 || strcmp(a, "--rw") == 0) && has_arg) {
      if (nro + nrw >= MAX_PATHS) die("too many paths (at most %s)", "256");
      if (argv[i + 1][0] != '/') die("%s: expected an absolute path", argv[i + 1]);
      if (a[3] == 'o') ro[nro++] = argv[++i];
      else rw[nrw++] = argv[++i];
      fs = 1;
    } else if (strcmp(a, "--relay") == 0 && has_arg) {
      const char *spec = argv[++i];
      const char *colon = strchr(spec, ':');
      if (!colon || nrelay >= MAX_RELAYS) die("--relay %s: expected PORT:/path/to/unix.sock", spec);
      char port[8] = {0};
      if ((size_t)(colon - spec) >= sizeof port) die("--relay %s: bad port", spec);
      memcpy(port, spec, (size_t)(colon - spec));
      long p = parse_num(port, "--relay port %s: expected 1-65535", 65535);
      if (p == 0 || strlen(colon + 1) >= sizeof relays[0].path) die("--relay %s: bad port or socket path too long", spec);
      strcpy(relays[nrelay].path, colon + 1);
      relays[nrelay].listen_fd = listen_tcp((int)p);
      if (relays[nrelay].listen_fd < 0) die("--relay: cannot listen on 127.0.0.1:%s", port);
      nrelay++;
    } else {
      die("unknown option or missing value: %s (see docs/sandbox_exec.md)", a);
    }
  }
  if (i >= argc) die("%s", "no command after --");

  if (hold) {
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
  } else {
    /* Inside: what the outer launcher ignored, and whatever bwrap blocked, is the agent's again. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs: %s", strerror(errno));
    if (fsize >= 0) {
      struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
      if (setrlimit(RLIMIT_FSIZE, &rl) < 0) die("RLIMIT_FSIZE: %s", strerror(errno));
      /* A write past the limit then fails with EFBIG instead of killing the agent (SIG_IGN survives exec). */
      signal(SIGXFSZ, SIG_IGN);
    }
    if (fs || scope) {
      int abi = landlock_abi();
      if (abi == 0 || apply_landlock(abi, ro, nro, rw, nrw, fs, scope) < 0) {
        if (required || abi > 0) die("landlock: %s", abi == 0 ? "not available in this kernel" : strerror(errno));
        fprintf(stderr, NAME ": warning: no Landlock in this kernel; the sandbox is bubblewrap's alone\n");
      }
    }
    start_relays(relays, nrelay);
    /* Last, so that nothing above needs a syscall it takes away. */
    if (seccomp) apply_seccomp();
  }
  execvp(argv[i], &argv[i]);
  int e = errno;
  fprintf(stderr, NAME ": %s: %s\n", argv[i], strerror(e));
  return e == ENOENT ? 127 : 126;
}
