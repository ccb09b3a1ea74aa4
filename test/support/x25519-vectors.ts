// x25519 key pairs from RFC 7748 §6.1 (Alice and Bob), for client-authorization tests: the
// public halves come from the RFC, not from our code.
const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

export const ALICE_SECRET = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
export const ALICE_PUBLIC = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
export const BOB_SECRET = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
export const BOB_PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
