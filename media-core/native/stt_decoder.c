/*
 * stt_decoder: a long-lived pocketsphinx decoder process for the media core's embedded
 * speech to text (media-core/conversation/speech/stt-helper.ts drives it).
 *
 * Why a process: loading the acoustic model and dictionary costs far more than decoding a
 * short utterance with a phrase grammar, so one process keeps them loaded and decodes
 * utterance after utterance. Decoding runs here, at lower priority (setpriority), off the
 * Node.js event loop and off libuv's thread pool.
 *
 * Usage: stt_decoder -hmm DIR -dict FILE [-lm FILE] [-max-grammars N] [-nice N] [pocketsphinx options]
 *
 * Framing on stdin and stdout, every integer little-endian:
 *   frame   = u32 length (bytes after this field, 1..MAX_FRAME) | u8 op | payload
 *   requests:
 *     'G' name NUL jsgf-text     load (or replace) a JSGF grammar (W3C JSpeech Grammar
 *                                Format) as the named search   -> 'O' | 'E' message
 *     'U' name                   drop a named grammar           -> 'O'
 *     'D' name NUL pcm           decode one utterance: pcm is 16-bit signed samples at
 *                                16 kHz; an empty name decodes with the language model
 *                                (-lm, loaded on first use)     -> 'H' u32 word-frames hypothesis
 *                                                                   | 'E' message
 *                                word-frames: 10 ms frames the hypothesis' words span, silence
 *                                and fillers left out
 *   replies come in request order; the process writes 'R' once the model is loaded (or
 *   'E' message and exits 1). A malformed frame gets 'E' and the process exits 2, since
 *   the stream can no longer be trusted to be in step.
 *
 * Bounds: a frame is at most MAX_FRAME bytes (about 4 minutes of audio); at most
 * -max-grammars named grammars (default 32) are loaded at once ('G' beyond that is refused).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <pocketsphinx.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "stt_decoder reads little-endian PCM in place; build it on a little-endian host"
#endif

#define MAX_FRAME (8u * 1024u * 1024u)
#define MAX_NAME 64
#define LM_SEARCH "_lm"

static ps_decoder_t *ps;
static const char *lm_file;
static char names[256][MAX_NAME + 1];
static int max_grammars = 32;

static int read_full(void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = read(0, p, n);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

static void write_full(const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(3); /* the media core went away */
    }
    p += w;
    n -= (size_t)w;
  }
}

static void reply(char op, const char *text, size_t len) {
  uint8_t head[5];
  uint32_t n = (uint32_t)len + 1;
  memcpy(head, &n, 4);
  head[4] = (uint8_t)op;
  write_full(head, 5);
  if (len) write_full(text, len);
}

static void reply_str(char op, const char *text) { reply(op, text, text ? strlen(text) : 0); }

static int name_ok(const char *name, size_t len) {
  if (len == 0 || len > MAX_NAME) return 0;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0;
  }
  return strcmp(name, LM_SEARCH) != 0;
}

static int find_name(const char *name) {
  for (int i = 0; i < max_grammars; i++)
    if (names[i][0] && strcmp(names[i], name) == 0) return i;
  return -1;
}

static void op_grammar(char *payload, size_t len) {
  char *nul = memchr(payload, 0, len);
  if (!nul) return reply_str('E', "grammar frame without a name terminator");
  size_t nlen = (size_t)(nul - payload);
  if (!name_ok(payload, nlen)) return reply_str('E', "bad grammar name");
  int slot = find_name(payload);
  if (slot < 0) {
    for (int i = 0; i < max_grammars && slot < 0; i++)
      if (!names[i][0]) slot = i;
    if (slot < 0) return reply_str('E', "grammar cache full");
  }
  /* The JSGF text must be NUL-terminated for pocketsphinx: the frame buffer has one spare byte. */
  payload[len] = 0;
  if (ps_set_jsgf_string(ps, payload, nul + 1) != 0) return reply_str('E', "grammar rejected (JSGF syntax or a word missing from the dictionary)");
  memcpy(names[slot], payload, nlen + 1);
  reply_str('O', NULL);
}

static void op_unset(char *payload, size_t len) {
  payload[len] = 0;
  int slot = find_name(payload);
  if (slot >= 0) {
    ps_unset_search(ps, payload);
    names[slot][0] = 0;
  }
  reply_str('O', NULL);
}

static void op_decode(char *payload, size_t len) {
  char *nul = memchr(payload, 0, len);
  if (!nul) return reply_str('E', "decode frame without a name terminator");
  size_t nlen = (size_t)(nul - payload);
  size_t bytes = len - nlen - 1;
  if (bytes % 2) return reply_str('E', "odd PCM byte count");
  const char *search = payload;
  if (nlen == 0) {
    if (!lm_file) return reply_str('E', "no language model (-lm) configured");
    if (!ps_get_lm(ps, LM_SEARCH) && ps_set_lm_file(ps, LM_SEARCH, lm_file) != 0) return reply_str('E', "language model could not be loaded");
    search = LM_SEARCH;
  } else if (find_name(payload) < 0) {
    return reply_str('E', "unknown grammar");
  }
  if (ps_set_search(ps, search) != 0) return reply_str('E', "search could not be selected");
  /* The samples start right after the name's NUL; copy them to an aligned buffer. */
  size_t n = bytes / 2;
  int16_t *pcm = malloc(n ? n * sizeof(int16_t) : 1);
  if (!pcm) return reply_str('E', "out of memory");
  memcpy(pcm, nul + 1, bytes);
  int rc = ps_start_utt(ps);
  if (rc == 0 && n) rc = ps_process_raw(ps, pcm, n, FALSE, TRUE) < 0 ? -1 : 0;
  if (ps_end_utt(ps) != 0) rc = -1;
  free(pcm);
  if (rc != 0) return reply_str('E', "decoding failed");
  int32 score = 0;
  const char *hyp = ps_get_hyp(ps, &score);
  /* Frames (10 ms) the hypothesis' words span, silences and fillers left out: how much of
   * the utterance the recognized phrase accounts for (the media core's out-of-grammar check). */
  uint32_t word_frames = 0;
  for (ps_seg_t *seg = hyp ? ps_seg_iter(ps) : NULL; seg; seg = ps_seg_next(seg)) {
    const char *w = ps_seg_word(seg);
    int sf = 0, ef = -1;
    ps_seg_frames(seg, &sf, &ef);
    if (w[0] != '<' && w[0] != '[' && ef >= sf) word_frames += (uint32_t)(ef - sf + 1);
  }
  size_t hlen = hyp ? strlen(hyp) : 0;
  char *out = malloc(4 + hlen);
  if (!out) return reply_str('E', "out of memory");
  memcpy(out, &word_frames, 4);
  if (hlen) memcpy(out + 4, hyp, hlen);
  reply('H', out, 4 + hlen);
  free(out);
}

int main(int argc, char **argv) {
  const char *hmm = NULL, *dict = NULL;
  int niceness = 10;
  /* Options this file does not know are pocketsphinx's own (-beam, -topn, -maxhmmpf, ...):
   * they pass through, and pocketsphinx refuses unknown ones. At most 32 pairs. */
  char *ps_argv[70];
  int ps_argc = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-hmm") == 0) hmm = argv[i + 1];
    else if (strcmp(argv[i], "-dict") == 0) dict = argv[i + 1];
    else if (strcmp(argv[i], "-lm") == 0) lm_file = argv[i + 1];
    else if (strcmp(argv[i], "-max-grammars") == 0) max_grammars = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "-nice") == 0) niceness = atoi(argv[i + 1]);
    else if (argv[i][0] == '-' && ps_argc < 64) {
      ps_argv[ps_argc++] = argv[i];
      ps_argv[ps_argc++] = argv[i + 1];
    } else {
      fprintf(stderr, "stt_decoder: unexpected argument %s\n", argv[i]);
      return 1;
    }
  }
  if (max_grammars < 1 || max_grammars > 256) max_grammars = 32;
  if (!hmm || !dict) {
    reply_str('E', "usage: stt_decoder -hmm DIR -dict FILE [-lm FILE] [-max-grammars N] [-nice N]");
    return 1;
  }
  /* Lower priority than the media core, so decoding never starves SIP and RTP. */
  if (niceness > 0) setpriority(PRIO_PROCESS, 0, niceness > 19 ? 19 : niceness);

  ps_argv[ps_argc++] = "-hmm";
  ps_argv[ps_argc++] = (char *)hmm;
  ps_argv[ps_argc++] = "-dict";
  ps_argv[ps_argc++] = (char *)dict;
  ps_argv[ps_argc++] = "-logfn";
  ps_argv[ps_argc++] = "/dev/null";
  cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), ps_argc, ps_argv, TRUE);
  if (!config || !(ps = ps_init(config))) {
    reply_str('E', "decoder could not be initialized (check -hmm and -dict)");
    return 1;
  }
  reply_str('R', NULL);

  for (;;) {
    uint8_t head[5];
    int r = read_full(head, 5);
    if (r == 0) break;
    if (r < 0) return 3;
    uint32_t n;
    memcpy(&n, head, 4);
    if (n < 1 || n > MAX_FRAME) {
      reply_str('E', "frame length out of bounds");
      return 2;
    }
    size_t len = n - 1;
    char *payload = malloc(len + 1);
    if (!payload) {
      reply_str('E', "out of memory");
      return 2;
    }
    if (len && read_full(payload, len) != 1) {
      free(payload);
      return 3;
    }
    payload[len] = 0;
    switch (head[4]) {
      case 'G': op_grammar(payload, len); break;
      case 'U': op_unset(payload, len); break;
      case 'D': op_decode(payload, len); break;
      default:
        free(payload);
        reply_str('E', "unknown op");
        return 2;
    }
    free(payload);
  }
  ps_free(ps);
  cmd_ln_free_r(config);
  return 0;
}
