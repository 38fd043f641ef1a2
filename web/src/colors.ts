// The colours of hazard classes, land-release outcomes, finds and accidents, shared by every
// screen (the map's legend and the dashboard's charts agree).
export const COLORS = {
  SHA: '#e08a00',
  CHA: '#c4122f',
  cancelled: '#8bc34a',
  reduced: '#1e88a8',
  cleared: '#2e7d32',
  find: '#5b1a8f',
  accident: '#111111',
  background: '#f3f1ea',
  context: '#9a9a9a',
};
