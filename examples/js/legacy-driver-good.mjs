// A config-legacy driver (virtio-pci, trap-and-emulate): the Linux __virtio_cread_many loop.
// Every access traps; a read of common.config_generation runs the device's handler.
//   npx virtio-verify validate --impl examples/js/legacy-driver-good.mjs --role driver --scheme config-legacy
export function readConfig(port) {
  const n = port.params.configBytes / 4;
  let before = port.load('common.config_generation');
  for (;;) {
    const words = [];
    for (let i = 0; i < n; i++) words.push(port.load(`config.data[${i}]`));
    const after = port.load('common.config_generation');
    if (after === before) return words;
    before = after;
  }
}
