// A config-legacy device model: a change marks the config dirty; the driver's next read of
// config_generation bumps it once (the spec's rule, so 256 changes cannot alias the 8-bit counter).
//   npx virtio-verify validate --impl examples/js/legacy-device-good.mjs --role device --scheme config-legacy
export function changeConfig(port, words) {
  words.forEach((w, i) => port.store(`config.data[${i}]`, w));
  port.store('device.config_dirty', 1);
}

/** The trap handler of a driver read of config_generation; returns the value the driver reads. */
export function onGenerationRead(port) {
  if (port.load('device.config_dirty') !== 0) {
    port.store('common.config_generation', (port.load('common.config_generation') + 1) & 0xff);
    port.store('device.config_dirty', 0);
  }
  return port.load('common.config_generation');
}
