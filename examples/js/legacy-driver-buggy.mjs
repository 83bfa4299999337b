// A config-legacy driver that reads the generation only before the fields (as Linux virtio_cread
// does for fields of 4 bytes or less) and applies it to a u64 read as two 32-bit halves: a change
// between the halves is accepted torn. validate reports no-torn-read violated.
export function readConfig(port) {
  const n = port.params.configBytes / 4;
  port.load('common.config_generation');
  const words = [];
  for (let i = 0; i < n; i++) words.push(port.load(`config.data[${i}]`));
  return words;
}
