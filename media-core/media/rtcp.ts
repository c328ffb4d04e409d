/**
 * RTCP (RFC 3550 section 6) as far as the media core needs it today: a call's RTCP port (the
 * RTP port + 1, section 11) is bound so the peer's sender/receiver reports reach us, and a
 * report from the call's source counts as a sign of life for the RTP inactivity timeout
 * (a peer that sends only RTCP, e.g. while muted, is alive).
 */
import { createSocket, type Socket } from 'node:dgram';

/** RTCP packet types SR and RR (RFC 3550 section 12.1), one of which starts every compound packet. */
const RTCP_SR = 200;
const RTCP_RR = 201;

/**
 * true when msg looks like an RTCP compound packet (RFC 3550 appendix A.2, loosened for
 * SRTCP's trailer): version 2, first packet SR or RR, and its length field fits the datagram.
 */
export function isRtcp(msg: Uint8Array): boolean {
  if (msg.length < 8 || msg[0]! >> 6 !== 2) return false;
  const pt = msg[1]!;
  if (pt !== RTCP_SR && pt !== RTCP_RR) return false;
  return ((msg[2]! << 8) | msg[3]!) * 4 + 4 <= msg.length;
}

/**
 * Binds the RTCP socket of an RTP port (node:dgram udp4 on address:port).
 * @returns the socket, or undefined when the port cannot be bound (the call goes on without RTCP).
 */
export function openRtcpSocket(address: string, port: number): Promise<Socket | undefined> {
  if (port > 65535) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4' });
    const fail = () => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', fail);
    socket.bind(port, address, () => {
      socket.off('error', fail);
      socket.unref(); // the call's RTP socket keeps the process alive, not its RTCP one
      socket.on('error', () => undefined); // ICMP errors and the like: RTCP is best effort
      resolve(socket);
    });
  });
}
