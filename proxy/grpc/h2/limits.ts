/**
 * What one HTTP/2 connection may cost the server: the settings it announces
 * (SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_MAX_HEADER_LIST_SIZE), the frames and bytes it takes
 * from a peer that makes no progress or does not read, and its timeouts. `h2_unary_server.ts`
 * sets the defaults; `apigw authz --grpc-*` flags override the ones an operator tunes.
 */

/** The limits of one connection. */
export interface ConnectionLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS, counting reset streams whose work still runs. */
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE (RFC 7541 sizes); a larger request gets 431. */
  maxHeaderListBytes: number;
  /** Control and empty frames allowed between two answered requests. */
  maxUnproductiveFrames: number;
  /** Bytes of answers one connection may hold for a peer (its windows closed, or not reading). */
  maxQueuedSendBytes: number;
  /** Preface, SETTINGS and the ACK of ours must arrive within this. */
  handshakeTimeoutMs: number;
  /** A connection without streams this long is drained (GOAWAY NO_ERROR). */
  idleTimeoutMs: number;
  /** A request (its headers and message) must have arrived this long after its stream opened. */
  requestTimeoutMs: number;
  /**
   * A write the peer does not take within this ends the connection; an answer its windows hold
   * back this long is reset (CANCEL).
   */
  writeTimeoutMs: number;
}
