/**
 * The part of a UDP socket an RtpSession uses. node:dgram's Socket has it (RTP through the
 * event loop), and so does the native pacer's PacerSocket
 * (media-core/media/native/pacer-socket.ts), which sends at each packet's due time.
 */
import type { Socket } from 'node:dgram';
import { PacerSocket } from './native/pacer-socket.ts';

/** A bound RTP socket: node:dgram's, or one of the native pacer. */
export type RtpSocket = Socket | PacerSocket;

/** Source of a received datagram, as both kinds of socket report it. */
export interface RtpRemoteInfo {
  address: string;
  port: number;
}

/** Takes one received datagram; `msg` may be a view valid only during the call, `rinfo` reused. */
export type DatagramHandler = (msg: Buffer, rinfo: RtpRemoteInfo) => void;

/**
 * Hands socket's datagrams to `handler`: a pacer socket's one onMessage slot (no
 * EventEmitter hop per packet), or dgram's 'message' event.
 * @returns a function that stops it.
 */
export function receiveDatagrams(socket: RtpSocket, handler: DatagramHandler): () => void {
  if (socket instanceof PacerSocket) {
    socket.onMessage = handler;
    return () => {
      if (socket.onMessage === handler) socket.onMessage = undefined;
    };
  }
  socket.on('message', handler);
  return () => socket.off('message', handler);
}

/**
 * Opens a socket bound on address:port.
 * @throws (rejects) an Error whose code is EADDRINUSE or EACCES when the port is taken; other errors as is.
 */
export type RtpSocketFactory = (address: string, port: number) => Promise<RtpSocket>;
