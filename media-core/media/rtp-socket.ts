/**
 * The part of a UDP socket an RtpSession uses. node:dgram's Socket has it (RTP through the
 * event loop), and so does the native pacer's PacerSocket
 * (media-core/media/native/pacer-socket.ts), which sends at each packet's due time.
 */
import type { Socket } from 'node:dgram';
import type { PacerSocket } from './native/pacer-socket.ts';

/** A bound RTP socket: node:dgram's, or one of the native pacer. */
export type RtpSocket = Socket | PacerSocket;

/** Source of a received datagram, as both kinds of socket report it. */
export interface RtpRemoteInfo {
  address: string;
  port: number;
}

/**
 * Opens a socket bound on address:port.
 * @throws (rejects) an Error whose code is EADDRINUSE or EACCES when the port is taken; other errors as is.
 */
export type RtpSocketFactory = (address: string, port: number) => Promise<RtpSocket>;
