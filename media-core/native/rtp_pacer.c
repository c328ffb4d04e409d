/*
 * rtp_pacer: the media core's RTP socket I/O and send clock, as a Node-API addon (Linux).
 *
 * Why native: at 1,000 calls the media core moves 50,000 datagrams a second each way. Through
 * Node's dgram each costs about 10 us of JavaScript, libuv and a callback, and the 20 ms
 * sends of every call wait on an event loop that also runs SIP, garbage collection and the
 * conversation. Here one thread owns every RTP socket: it sleeps on an absolute timerfd until
 * each packet's due time and sends it with one sendto (about 3.4 us on loopback), and it reads
 * whatever arrives into a ring that JavaScript drains in batches.
 *
 * Receiving: the sockets sit in an epoll set of their own, itself watched by the thread's
 * epoll beside the timer. When any socket is ready the thread reads every ready one with one
 * recvmmsg each (reading until EAGAIN would cost a second syscall per datagram), a batch at a
 * time with the packets due meanwhile sent between batches. The set is watched one-shot and
 * re-armed RX_COALESCE_NS after each pass: JavaScript drains the ring only every few ms, so
 * waking for every datagram (each call's packets arrive on their own 20 ms grid) would cost a
 * context switch per datagram for nothing; this way one wake-up reads what many calls sent.
 *
 * JavaScript stays the owner of everything RTP means (headers, G.711, SRTP, DTMF, latching):
 * it writes finished datagrams, each with its due time, into the transmit ring ahead of time
 * (media-core/media/native/rtp-pacer.ts). The rings and counters are ArrayBuffers that
 * JavaScript allocated and handed over once; indexes are published with release stores here
 * and Atomics on the JavaScript side.
 *
 * Transmit slot (TX_SLOT bytes): u32 socket id, u32 generation, f64 due (CLOCK_MONOTONIC ms),
 *   u32 IPv4 (host order), u16 port, u16 length, u32 epoch, u32 unused, then the datagram.
 * Receive slot (RX_SLOT bytes): u32 socket id, u32 generation, u32 source IPv4 (host order),
 *   u16 source port, u16 length, then the datagram.
 * A socket id's generation changes on every close, so a queued packet or a pending event of a
 * closed socket never reaches a later socket that got the same file descriptor.
 *
 * Queued packets can be withdrawn (a prompt stopped by barge-in, hold): cancel(id, epoch, due)
 * drops that socket's packets of an earlier epoch due at or after `due`. JavaScript bumps the
 * socket's epoch with each cancel, so what it queues afterwards is kept.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 65536
#define TX_SLOT 256
#define TX_HEADER 32
#define RX_SLOT 1024
#define RX_HEADER 16
#define HIST_BUCKETS 2001 /* 50 us each; the last one holds everything from 100 ms on */
#define HIST_BUCKET_NS 50000
#define SEND_SLACK_NS 50000 /* packets due this close together go out in one wake-up */
#define RECV_BURST 8        /* datagrams read from one socket per poll (one recvmmsg) */
#define RX_BATCH 32         /* ready sockets read between two looks at the send clock */
#define RX_POLL_ROUNDS 2050 /* batches per poll: every one of MAX_SOCKETS, once */
#define RX_COALESCE_NS 1000000 /* a receive pass waits this long after the previous one (JS drains every 5 ms) */
#define CANCELS 4           /* recent cancels remembered per socket */
#define EV_KICK 0xffffffffu
#define EV_TIMER 0xfffffffeu
#define EV_RX 0xfffffffdu

/* Control words shared with JavaScript (Int32Array indexes). */
enum {
  C_TX_WRITE, C_TX_READ, C_RX_WRITE, C_RX_READ,
  C_RX_DROPPED, C_RX_OVERSIZE, C_TX_STALE, C_TX_ERRORS,
  C_STATS_RESET, C_STATS_COUNT, C_STATS_MAX_US, C_POLICY,
  C_TX_CANCELLED, C_RX_PASSES,
  C_WORDS
};

typedef struct { uint32_t epoch; uint64_t due; } cancel_t;
typedef struct { int fd; uint32_t gen; uint32_t ncancel; cancel_t cancels[CANCELS]; } sock_t;

/* true when a cancel issued after `epoch` withdrew packets due at `due` or later. */
static int cancelled(const sock_t *s, uint32_t epoch, uint64_t due) {
  uint32_t n = s->ncancel < CANCELS ? s->ncancel : CANCELS;
  for (uint32_t i = 0; i < n; i++) {
    if ((int32_t)(s->cancels[i].epoch - epoch) > 0 && due >= s->cancels[i].due) return 1;
  }
  return 0;
}

static sock_t socks[MAX_SOCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static int running, stopping;
static int ep = -1, rx_ep = -1, kickfd = -1, timerfd = -1;
static uint8_t *tx, *rx;
static uint32_t tx_slots, rx_slots;
static int32_t *ctl;
static uint32_t *hist;
static napi_ref refs[4];
static int realtime;

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int32_t ld(int i) { return __atomic_load_n(&ctl[i], __ATOMIC_ACQUIRE); }
static void st(int i, int32_t v) { __atomic_store_n(&ctl[i], v, __ATOMIC_RELEASE); }
static void inc(int i) { __atomic_fetch_add(&ctl[i], 1, __ATOMIC_RELAXED); }

static void record(uint64_t late_ns) {
  if (ld(C_STATS_RESET)) {
    memset(hist, 0, HIST_BUCKETS * sizeof *hist);
    st(C_STATS_COUNT, 0);
    st(C_STATS_MAX_US, 0);
    st(C_STATS_RESET, 0);
  }
  uint64_t b = late_ns / HIST_BUCKET_NS;
  hist[b < HIST_BUCKETS - 1 ? b : HIST_BUCKETS - 1]++;
  st(C_STATS_COUNT, ld(C_STATS_COUNT) + 1);
  int32_t us = late_ns / 1000 > INT32_MAX ? INT32_MAX : (int32_t)(late_ns / 1000);
  if (us > ld(C_STATS_MAX_US)) st(C_STATS_MAX_US, us);
}

/*
 * Queued packets are not due in ring order: a prompt that starts now is built for slots the
 * loop already ran ahead, behind packets of other calls due later. So the thread keeps a
 * min-heap (by due time) of the ring entries it has seen, sends from its top, and frees ring
 * slots in order once every earlier one is sent (`done`).
 */
typedef struct { uint64_t due; uint32_t slot; } heap_item;
static heap_item *heap;
static uint32_t heap_len, scan;
static uint8_t *done;

static void heap_push(uint64_t due, uint32_t slot) {
  uint32_t i = heap_len++;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (heap[parent].due <= due) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = (heap_item){ due, slot };
}

static heap_item heap_pop(void) {
  heap_item top = heap[0], last = heap[--heap_len];
  uint32_t i = 0;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= heap_len) break;
    if (c + 1 < heap_len && heap[c + 1].due < heap[c].due) c++;
    if (heap[c].due >= last.due) break;
    heap[i] = heap[c];
    i = c;
  }
  if (heap_len) heap[i] = last;
  return top;
}

static void send_entry(const uint8_t *e, uint64_t due) {
  uint32_t id, gen, ip, epoch;
  uint16_t port, len;
  memcpy(&id, e, 4);
  memcpy(&gen, e + 4, 4);
  memcpy(&ip, e + 16, 4);
  memcpy(&port, e + 20, 2);
  memcpy(&len, e + 22, 2);
  memcpy(&epoch, e + 24, 4);
  if (id >= MAX_SOCKETS || socks[id].fd < 0 || socks[id].gen != gen || len > TX_SLOT - TX_HEADER) {
    inc(C_TX_STALE);
  } else if (cancelled(&socks[id], epoch, due)) {
    inc(C_TX_CANCELLED);
  } else {
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ip) };
    if (sendto(socks[id].fd, e + TX_HEADER, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) < 0) inc(C_TX_ERRORS);
    uint64_t now = mono_ns();
    record(now > due ? now - due : 0);
  }
}

/* Sends every queued packet due by now (+ slack); returns the next due time, 0 when none. Holds lock. */
static uint64_t send_due(void) {
  uint32_t w = (uint32_t)ld(C_TX_WRITE);
  for (; scan != w; scan++) {
    const uint8_t *e = tx + (size_t)(scan & (tx_slots - 1)) * TX_SLOT;
    double due_ms;
    memcpy(&due_ms, e + 8, 8);
    heap_push(due_ms > 0 ? (uint64_t)(due_ms * 1e6) : 0, scan & (tx_slots - 1));
  }
  uint64_t now = mono_ns();
  while (heap_len && heap[0].due <= now + SEND_SLACK_NS) {
    heap_item it = heap_pop();
    send_entry(tx + (size_t)it.slot * TX_SLOT, it.due);
    done[it.slot] = 1;
    now = mono_ns();
  }
  uint32_t r = (uint32_t)ld(C_TX_READ);
  while (r != scan && done[r & (tx_slots - 1)]) done[r++ & (tx_slots - 1)] = 0;
  st(C_TX_READ, (int32_t)r);
  return heap_len ? (heap[0].due ? heap[0].due : 1) : 0;
}

/*
 * Reads what one ready socket has (up to RECV_BURST) into the receive ring with one recvmmsg,
 * straight into the ring's slots. When the ring is full the datagrams are read and dropped
 * (counted), so the socket does not stay ready forever. Holds lock.
 */
static void receive(uint32_t id, uint32_t gen) {
  if (id >= MAX_SOCKETS || socks[id].fd < 0 || socks[id].gen != gen) return;
  static uint8_t scratch[RX_SLOT];
  struct mmsghdr m[RECV_BURST];
  struct iovec iov[RECV_BURST];
  struct sockaddr_in from[RECV_BURST];
  uint32_t w = (uint32_t)ld(C_RX_WRITE), r = (uint32_t)ld(C_RX_READ);
  uint32_t room = rx_slots - (w - r);
  if (room == 0) {
    for (int k = 0; k < RECV_BURST && recv(socks[id].fd, scratch, sizeof scratch, MSG_DONTWAIT) >= 0; k++) inc(C_RX_DROPPED);
    return;
  }
  unsigned want = room < RECV_BURST ? room : RECV_BURST;
  for (unsigned i = 0; i < want; i++) {
    uint8_t *e = rx + (size_t)((w + i) & (rx_slots - 1)) * RX_SLOT;
    iov[i] = (struct iovec){ .iov_base = e + RX_HEADER, .iov_len = RX_SLOT - RX_HEADER };
    m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1 };
  }
  int n = recvmmsg(socks[id].fd, m, want, MSG_DONTWAIT, NULL);
  uint32_t kept = 0;
  for (int i = 0; i < n; i++) {
    if ((m[i].msg_hdr.msg_flags & MSG_TRUNC) || from[i].sin_family != AF_INET) { inc(C_RX_OVERSIZE); continue; }
    uint8_t *e = rx + (size_t)((w + kept) & (rx_slots - 1)) * RX_SLOT;
    uint16_t len = (uint16_t)m[i].msg_len;
    /* A refused datagram before this one left a gap: close it so the ring stays dense. */
    if ((uint32_t)i != kept) memcpy(e + RX_HEADER, iov[i].iov_base, len);
    uint32_t ip = ntohl(from[i].sin_addr.s_addr);
    uint16_t port = ntohs(from[i].sin_port);
    memcpy(e, &id, 4);
    memcpy(e + 4, &gen, 4);
    memcpy(e + 8, &ip, 4);
    memcpy(e + 12, &port, 2);
    memcpy(e + 14, &len, 2);
    kept++;
  }
  if (kept) st(C_RX_WRITE, (int32_t)(w + kept));
}

/*
 * Reads every ready socket once (see receive), RX_BATCH sockets at a time with the packets
 * that fell due meanwhile sent between batches, so a poll does not hold back the send clock.
 * @returns the next send due time, as send_due. Holds lock.
 */
static uint64_t poll_receive(uint64_t next_send) {
  struct epoll_event evs[RX_BATCH];
  inc(C_RX_PASSES);
  for (int round = 0; round < RX_POLL_ROUNDS; round++) {
    int n = epoll_wait(rx_ep, evs, RX_BATCH, 0);
    for (int i = 0; i < n; i++) receive((uint32_t)evs[i].data.u64, (uint32_t)(evs[i].data.u64 >> 32));
    if (n > 0) next_send = send_due();
    if (n < RX_BATCH) break;
  }
  return next_send;
}

static void apply_priority(void) {
  int policy = 0;
  if (realtime) {
    struct sched_param p = { .sched_priority = 10 };
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0) policy = 2;
    else if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -10) == 0) policy = 1;
  }
  st(C_POLICY, policy);
}

static void *run(void *unused) {
  (void)unused;
  apply_priority();
  struct epoll_event evs[4];
  uint64_t armed = 0;
  uint64_t rx_rearm = 0; /* when the receive set is watched again (0: it is) */
  int rx_ready = 0;
  while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
    pthread_mutex_lock(&lock);
    uint64_t wake = send_due();
    if (rx_ready) {
      wake = poll_receive(wake);
      rx_rearm = mono_ns() + RX_COALESCE_NS;
    }
    pthread_mutex_unlock(&lock);
    if (rx_rearm && mono_ns() >= rx_rearm) {
      /* Re-arming reports at once whatever arrived meanwhile. */
      struct epoll_event rxe = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = EV_RX };
      epoll_ctl(ep, EPOLL_CTL_MOD, rx_ep, &rxe);
      rx_rearm = 0;
    }
    if (rx_rearm && (!wake || rx_rearm < wake)) wake = rx_rearm;
    /* Re-arming costs a syscall and, in a VM, a timer-programming exit: only when it changes. */
    if (wake != armed) {
      struct itimerspec at = { 0 };
      if (wake) {
        at.it_value.tv_sec = (time_t)(wake / 1000000000u);
        at.it_value.tv_nsec = (long)(wake % 1000000000u);
      }
      timerfd_settime(timerfd, TFD_TIMER_ABSTIME, &at, NULL);
      armed = wake;
    }
    int n = epoll_wait(ep, evs, 4, 1000);
    rx_ready = 0;
    for (int i = 0; i < n; i++) {
      uint64_t drain;
      if (evs[i].data.u64 == EV_RX) rx_ready = 1;
      else if (evs[i].data.u64 == EV_KICK) { if (read(kickfd, &drain, 8) < 0) { /* nothing to drain */ } }
      else if (read(timerfd, &drain, 8) >= 0) armed = 0; /* fired: the next time needs arming even if equal */
    }
  }
  return NULL;
}

/* ---- Node-API glue ------------------------------------------------------------------- */

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  const char *code = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code ? code : "EIO", msg);
  return NULL;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static void *buffer_of(napi_env env, napi_value v, size_t *len) {
  void *data = NULL;
  bool is_ab = false, is_ta = false;
  napi_is_arraybuffer(env, v, &is_ab);
  if (is_ab) {
    napi_get_arraybuffer_info(env, v, &data, len);
    return data;
  }
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type t;
    size_t count, offset;
    napi_value ab;
    napi_get_typedarray_info(env, v, &t, &count, &data, &ab, &offset);
    size_t ab_len;
    void *ab_data;
    napi_get_arraybuffer_info(env, ab, &ab_data, &ab_len);
    *len = ab_len - offset;
    return data;
  }
  return NULL;
}

static void stop_thread(void) {
  if (!running) return;
  __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
  uint64_t one = 1;
  if (write(kickfd, &one, 8) < 0) { /* the thread also wakes within 1 s */ }
  pthread_join(thread, NULL);
  pthread_mutex_lock(&lock);
  for (int i = 0; i < MAX_SOCKETS; i++) {
    if (socks[i].fd >= 0) close(socks[i].fd);
    socks[i].fd = -1;
    socks[i].gen++;
  }
  pthread_mutex_unlock(&lock);
  close(ep);
  close(rx_ep);
  close(kickfd);
  close(timerfd);
  ep = rx_ep = kickfd = timerfd = -1;
  free(heap);
  free(done);
  heap = NULL;
  done = NULL;
  running = 0;
}

static void cleanup_hook(void *env) {
  stop_thread();
  for (int i = 0; i < 4; i++) {
    if (refs[i]) napi_delete_reference((napi_env)env, refs[i]);
    refs[i] = NULL;
  }
}

/* start(txRing, rxRing, control, histogram, realtime): the rings' sizes must be powers of two slots. */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (running) { napi_throw_error(env, "ERR_RTP_PACER_RUNNING", "the RTP pacer already runs in this process"); return NULL; }
  size_t tl = 0, rl = 0, cl = 0, hl = 0;
  uint8_t *t = buffer_of(env, argv[0], &tl), *r = buffer_of(env, argv[1], &rl);
  int32_t *c = buffer_of(env, argv[2], &cl);
  uint32_t *h = buffer_of(env, argv[3], &hl);
  bool rt = false;
  napi_get_value_bool(env, argv[4], &rt);
  uint32_t ts = (uint32_t)(tl / TX_SLOT), rs = (uint32_t)(rl / RX_SLOT);
  if (!t || !r || !c || !h || !ts || !rs || (ts & (ts - 1)) || (rs & (rs - 1)) || cl < C_WORDS * 4 || hl < HIST_BUCKETS * 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "start(tx, rx, control, histogram, realtime): rings of a power-of-two slot count, control and histogram large enough");
    return NULL;
  }
  heap = calloc(ts, sizeof *heap);
  done = calloc(ts, 1);
  if (!heap || !done) { free(heap); free(done); heap = NULL; done = NULL; return throw_errno(env, ENOMEM, "rtp pacer"); }
  heap_len = 0;
  scan = (uint32_t)c[C_TX_READ];
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[i], 1, &refs[i]);
  tx = t; rx = r; ctl = c; hist = h; tx_slots = ts; rx_slots = rs; realtime = rt;
  for (int i = 0; i < MAX_SOCKETS; i++) socks[i].fd = -1;
  ep = epoll_create1(EPOLL_CLOEXEC);
  rx_ep = epoll_create1(EPOLL_CLOEXEC);
  kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || rx_ep < 0 || kickfd < 0 || timerfd < 0) return throw_errno(env, errno, "rtp pacer");
  struct epoll_event k = { .events = EPOLLIN, .data.u64 = EV_KICK }, tm = { .events = EPOLLIN, .data.u64 = EV_TIMER };
  epoll_ctl(ep, EPOLL_CTL_ADD, kickfd, &k);
  epoll_ctl(ep, EPOLL_CTL_ADD, timerfd, &tm);
  struct epoll_event rxe = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = EV_RX };
  epoll_ctl(ep, EPOLL_CTL_ADD, rx_ep, &rxe);
  stopping = 0;
  st(C_POLICY, -1);
  if (pthread_create(&thread, NULL, run, NULL) != 0) return throw_errno(env, errno, "rtp pacer thread");
  running = 1;
  /* The thread reports the scheduling it got first thing; wait for it (bounded) so the caller can log it. */
  for (int i = 0; i < 200 && ld(C_POLICY) < 0; i++) {
    struct timespec ms = { 0, 1000000 };
    nanosleep(&ms, NULL);
  }
  napi_add_env_cleanup_hook(env, cleanup_hook, env);
  return undefined(env);
}

/*
 * Reads the call's first n arguments as unsigned 32-bit numbers into out (missing or not a
 * number: 0) and, when last_double is set, the next one as a double. The JavaScript wrapper
 * (rtp-pacer.ts) is the only caller and passes numbers.
 */
static void number_args(napi_env env, napi_callback_info info, size_t n, uint32_t *out, double *last_double) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  for (size_t i = 0; i < n; i++) {
    out[i] = 0;
    if (i < argc) napi_get_value_uint32(env, argv[i], &out[i]);
  }
  if (last_double) {
    *last_double = 0;
    if (n < argc) napi_get_value_double(env, argv[n], last_double);
  }
}

/* open(id, ipv4HostOrder, port) -> generation. Binds a non-blocking UDP socket and watches it. */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  uint32_t args[3];
  number_args(env, info, 3, args, NULL);
  uint32_t id = args[0], ip = args[1], port = args[2];
  if (!running || id >= MAX_SOCKETS || port > 65535) { napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "open(id, ip, port): pacer not started, id >= 65536 or port > 65535"); return NULL; }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(ip) };
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  pthread_mutex_lock(&lock);
  if (socks[id].fd >= 0) {
    pthread_mutex_unlock(&lock);
    close(fd);
    napi_throw_error(env, "ERR_RTP_PACER_ID", "open: socket id in use");
    return NULL;
  }
  uint32_t gen = ++socks[id].gen;
  socks[id].fd = fd;
  socks[id].ncancel = 0;
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t)gen << 32) | id };
  int rc = epoll_ctl(rx_ep, EPOLL_CTL_ADD, fd, &ev);
  int err = errno;
  if (rc < 0) { socks[id].fd = -1; close(fd); }
  pthread_mutex_unlock(&lock);
  if (rc < 0) return throw_errno(env, err, "epoll_ctl");
  napi_value out;
  napi_create_uint32(env, gen, &out);
  return out;
}

/* close(id): packets still queued for it are dropped (counted as stale). */
static napi_value close_socket(napi_env env, napi_callback_info info) {
  uint32_t id;
  number_args(env, info, 1, &id, NULL);
  if (id < MAX_SOCKETS) {
    pthread_mutex_lock(&lock);
    if (socks[id].fd >= 0) {
      epoll_ctl(rx_ep, EPOLL_CTL_DEL, socks[id].fd, NULL);
      close(socks[id].fd);
      socks[id].fd = -1;
      socks[id].gen++;
    }
    pthread_mutex_unlock(&lock);
  }
  return undefined(env);
}

/* cancel(id, gen, epoch, dueMs): drops the socket's queued packets of epochs before `epoch` due at or after dueMs. */
static napi_value cancel(napi_env env, napi_callback_info info) {
  uint32_t args[3];
  double due_ms;
  number_args(env, info, 3, args, &due_ms);
  uint32_t id = args[0], gen = args[1], epoch = args[2];
  if (id < MAX_SOCKETS && due_ms > 0) {
    pthread_mutex_lock(&lock);
    sock_t *s = &socks[id];
    if (s->fd >= 0 && s->gen == gen) {
      s->cancels[s->ncancel % CANCELS] = (cancel_t){ .epoch = epoch, .due = (uint64_t)(due_ms * 1e6) };
      s->ncancel++;
    }
    pthread_mutex_unlock(&lock);
  }
  return undefined(env);
}

/* kick(): new packets are queued; the thread re-reads the transmit ring. */
static napi_value kick(napi_env env, napi_callback_info info) {
  (void)info;
  uint64_t one = 1;
  if (running && write(kickfd, &one, 8) < 0) { /* counter saturated: a wake-up is pending anyway */ }
  return undefined(env);
}

/* nowMs(): CLOCK_MONOTONIC in ms, the clock of due times. */
static napi_value now_ms(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_double(env, (double)mono_ns() / 1e6, &out);
  return out;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  (void)info;
  if (running) napi_remove_env_cleanup_hook(env, cleanup_hook, env);
  cleanup_hook(env);
  return undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    { "start", NULL, start, NULL, NULL, NULL, napi_default, NULL },
    { "open", NULL, open_socket, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL },
    { "kick", NULL, kick, NULL, NULL, NULL, napi_default, NULL },
    { "cancel", NULL, cancel, NULL, NULL, NULL, napi_default, NULL },
    { "nowMs", NULL, now_ms, NULL, NULL, NULL, napi_default, NULL },
    { "stop", NULL, stop, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value sizes;
  napi_create_object(env, &sizes);
  const char *names[] = { "txSlot", "txHeader", "rxSlot", "rxHeader", "histBuckets", "histBucketNs", "controlWords", "maxSockets" };
  const uint32_t values[] = { TX_SLOT, TX_HEADER, RX_SLOT, RX_HEADER, HIST_BUCKETS, HIST_BUCKET_NS, C_WORDS, MAX_SOCKETS };
  for (int i = 0; i < 8; i++) {
    napi_value v;
    napi_create_uint32(env, values[i], &v);
    napi_set_named_property(env, sizes, names[i], v);
  }
  napi_set_named_property(env, exports, "layout", sizes);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
