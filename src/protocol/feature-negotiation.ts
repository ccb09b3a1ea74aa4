// Sotto feature negotiation on channel 0 (doc/protocol-v3.md EnableFeatures/FeaturesEnabled;
// docs/PROTOCOL.md "Sotto extensions"): the side that authenticated (or dialled an endpoint
// stream) sends EnableFeatures with what it supports; the features in force are the ones both
// sides listed. Ricochet Refresh 3.0.41 answers with none, so none is the default.
import { encodeControlPacket } from './messages.js';

export class FeatureNegotiation {
  #negotiated = new Set<string>();
  #sent = false;

  constructor(readonly ours: readonly string[]) {}

  /** Whether we sent EnableFeatures (a FeaturesEnabled without it is a protocol violation). */
  get sent(): boolean {
    return this.#sent;
  }

  /** Whether both peers negotiated `feature`. */
  has(feature: string): boolean {
    return this.#negotiated.has(feature);
  }

  /** Our EnableFeatures for channel 0, marked as sent; undefined when we support none. */
  enableFeatures(): Uint8Array | undefined {
    if (this.ours.length === 0) return undefined;
    this.#sent = true;
    return encodeControlPacket({ kind: 'enable-features', features: this.ours });
  }

  /** The peer's FeaturesEnabled: returns the features now in force (ours among the peer's). */
  peerEnabled(peerFeatures: readonly string[]): string[] {
    this.#negotiated = new Set(peerFeatures.filter((f) => this.ours.includes(f)));
    return [...this.#negotiated];
  }
}
