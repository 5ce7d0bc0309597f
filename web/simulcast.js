// Simulcast for the demo client: the three VP8 layers a camera is published as, what the
// server is told about them, and LiveKit's dynacast (`subscribedQualityUpdate`): the server
// says which layers anybody watches, and the others are switched off at the encoder.

// LiveKit's layer names: quarter, half and full size.
export const SIMULCAST_LAYERS = [
  { rid: 'q', quality: 'LOW', scale: 4, maxBitrate: 150_000 },
  { rid: 'h', quality: 'MEDIUM', scale: 2, maxBitrate: 500_000 },
  { rid: 'f', quality: 'HIGH', scale: 1, maxBitrate: 1_500_000 },
];

/** `layers` for addTrack: each layer's size, so the server can match a subscriber's size. */
export function layerInfos(width, height) {
  return SIMULCAST_LAYERS.map((l) => ({
    quality: l.quality, width: Math.round(width / l.scale), height: Math.round(height / l.scale),
  }));
}

/** `sendEncodings` for addTransceiver. */
export function sendEncodings() {
  return SIMULCAST_LAYERS.map((l) => ({ rid: l.rid, scaleResolutionDownBy: l.scale, maxBitrate: l.maxBitrate }));
}

/**
 * Applies a `subscribedQualityUpdate` to the sender of its track: layers nobody needs are set
 * inactive (the browser stops encoding them), needed ones active again.
 * (Protobuf JSON leaves out defaults: a missing quality is LOW, a missing enabled is false.)
 */
export async function applySubscribedQualities(sender, update) {
  const enabled = new Map((update.subscribedQualities || []).map((q) => [q.quality || 'LOW', !!q.enabled]));
  const params = sender.getParameters();
  let changed = false;
  for (const encoding of params.encodings || []) {
    const layer = SIMULCAST_LAYERS.find((l) => l.rid === encoding.rid);
    if (!layer || !enabled.has(layer.quality) || encoding.active === enabled.get(layer.quality)) continue;
    encoding.active = enabled.get(layer.quality);
    changed = true;
  }
  if (changed) await sender.setParameters(params);
}
