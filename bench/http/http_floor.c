/*
 * http_floor: the least native work a /metrics scrape of the fixture tree can
 * cost. Single-threaded epoll server on 127.0.0.1; for every GET on a
 * keep-alive connection it reads the files the default collectors read per
 * scrape (cpu: <procfs>/stat; meminfo: <procfs>/meminfo; rapl: the
 * <sysfs>/class/powercap zones' name, max_energy_range_uj, energy_uj,
 * constraint_{0,1}_time_window_us and the chosen constraint's power_limit_uw)
 * plus, with self_metrics=1, the exporter self-metrics sources
 * (/proc/self/stat, /proc/self/fd, /proc/self/limits, /proc/self/net/dev),
 * and answers with a fixed body of body_len bytes.
 *
 * Built and run by bench/http/http_bench.py:
 *   cc -O2 -o http_floor http_floor.c
 *   http_floor <port> <procfs> <sysfs> <body_len> <self_metrics 0|1>
 * It exits by itself after 900 s in case nobody kills it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define IN_CAP 16384
#define MAX_FDS 4096

struct conn {
  int fd;
  size_t in_len;
  char in[IN_CAP];
  char *out;
  size_t out_len, out_off, out_cap;
};

static struct conn *conns[MAX_FDS];
static char procfs[1024], sysfs[1024];
static int self_metrics;
static char *response;
static size_t response_len;
static unsigned long long sink; /* keeps the reads observable */

static unsigned long long read_file(const char *path) {
  char buf[16384];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned long long sum = 0;
  for (int i = 0; i < 64; i++) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    sum += (unsigned long long)n + (unsigned char)buf[0];
  }
  close(fd);
  return sum;
}

static unsigned long long read_u64(const char *path) {
  char buf[64];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  return strtoull(buf, NULL, 10);
}

static unsigned long long list_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) return 0;
  unsigned long long n = 0;
  for (int i = 0; i < 100000; i++) {
    struct dirent *e = readdir(d);
    if (!e) break;
    n++;
  }
  closedir(d);
  return n;
}

static void scrape_work(void) {
  char path[2048];
  snprintf(path, sizeof path, "%s/stat", procfs);
  sink += read_file(path);
  snprintf(path, sizeof path, "%s/meminfo", procfs);
  sink += read_file(path);

  char dir[1100];
  snprintf(dir, sizeof dir, "%s/class/powercap", sysfs);
  DIR *d = opendir(dir);
  if (d) {
    for (int i = 0; i < 1024; i++) {
      struct dirent *e = readdir(d);
      if (!e) break;
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "%s/%s/name", dir, e->d_name);
      unsigned long long name = read_file(path);
      if (!name) continue;
      sink += name;
      snprintf(path, sizeof path, "%s/%s/max_energy_range_uj", dir, e->d_name);
      sink += read_u64(path);
      snprintf(path, sizeof path, "%s/%s/energy_uj", dir, e->d_name);
      sink += read_u64(path);
      unsigned long long w0, w1;
      snprintf(path, sizeof path, "%s/%s/constraint_0_time_window_us", dir, e->d_name);
      w0 = read_u64(path);
      snprintf(path, sizeof path, "%s/%s/constraint_1_time_window_us", dir, e->d_name);
      w1 = read_u64(path);
      snprintf(path, sizeof path, "%s/%s/constraint_%d_power_limit_uw", dir, e->d_name, w1 > w0 ? 1 : 0);
      sink += read_u64(path);
    }
    closedir(d);
  }
  if (self_metrics) {
    sink += read_file("/proc/self/stat");
    sink += list_dir("/proc/self/fd");
    sink += read_file("/proc/self/limits");
    sink += read_file("/proc/self/net/dev");
  }
}

static void drop(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  conns[c->fd] = NULL;
  free(c->out);
  free(c);
}

static int queue(struct conn *c, const char *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 65536;
    while (cap < c->out_len + len) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return -1;
    c->out = p;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
  return 0;
}

/* Writes what is queued; 0 = all written, 1 = would block, -1 = error. */
static int flush_out(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -1;
    c->out_off += (size_t)n;
  }
  c->out_off = c->out_len = 0;
  return 0;
}

/* Serves every complete request head in the input buffer; -1 closes. */
static int serve(struct conn *c) {
  for (int i = 0; i < 1024; i++) {
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return c->in_len >= IN_CAP ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    if (c->in_len < 4 || memcmp(c->in, "GET ", 4) != 0) return -1;
    scrape_work();
    if (queue(c, response, response_len) != 0) return -1;
    memmove(c->in, c->in + head, c->in_len - head);
    c->in_len -= head;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s port procfs sysfs body_len self_metrics\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  snprintf(procfs, sizeof procfs, "%s", argv[2]);
  snprintf(sysfs, sizeof sysfs, "%s", argv[3]);
  long body_len = atol(argv[4]);
  self_metrics = atoi(argv[5]);
  if (body_len < 0 || body_len > (1L << 26)) return 2;
  alarm(900);
  signal(SIGPIPE, SIG_IGN);

  char head[256];
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                    "Content-Length: %ld\r\n\r\n",
                    body_len);
  response_len = (size_t)hl + (size_t)body_len;
  response = malloc(response_len);
  if (!response) return 1;
  memcpy(response, head, (size_t)hl);
  for (long i = 0; i < body_len; i++) response[hl + i] = (i % 64 == 63) ? '\n' : 'x';

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1024) != 0) {
    perror("bind/listen");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, events, MAX_EVENTS, 1000);
    if (n < 0 && errno != EINTR) return 1;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (int k = 0; k < 256; k++) {
          int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          if (cfd >= MAX_FDS) {
            close(cfd);
            continue;
          }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *c = calloc(1, sizeof *c);
          if (!c) {
            close(cfd);
            continue;
          }
          c->fd = cfd;
          conns[cfd] = c;
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        }
        continue;
      }
      struct conn *c = conns[fd];
      if (!c) continue;
      if (events[i].events & EPOLLOUT) {
        int r = flush_out(c);
        if (r < 0) {
          drop(ep, c);
          continue;
        }
        if (r == 0) {
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = fd};
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        }
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = recv(fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          drop(ep, c);
          continue;
        }
        if (r > 0) {
          c->in_len += (size_t)r;
          if (serve(c) != 0) {
            drop(ep, c);
            continue;
          }
          int w = flush_out(c);
          if (w < 0) {
            drop(ep, c);
            continue;
          }
          if (w == 1) {
            struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
          }
        }
      }
    }
    if (sink == 42) fprintf(stderr, "%llu\n", sink);
  }
}
