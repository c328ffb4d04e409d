/**
 * V8 flags the media core runs with (local stack, container, benches). RTP makes one
 * short-lived Buffer per datagram (50 per second per call each way); 64 MB semi-spaces keep
 * them in the young generation, so old-space collections stop stalling the 20 ms pacer:
 * bench/sip-load.bench.ts at 500 calls, pacing p99 28.8 ms -> 6.5 ms, CPU per call -13%.
 * media-core/Dockerfile repeats them in its CMD (test/unit/dockerfile.test.ts checks).
 */
export const MEDIA_CORE_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
