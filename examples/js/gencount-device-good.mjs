// A config-gencount device written against virtio-verify's synchronous port (docs/third-party.md).
//   npx virtio-verify validate --impl examples/js/gencount-device-good.mjs --role device --scheme config-gencount

/** Makes the generation odd, writes the words, makes it even again. */
export function updateConfig(port, words) {
  const gen = port.load('config.gen');
  port.store('config.gen', gen + 1);
  port.wmb();
  words.forEach((w, i) => port.store(`config.data[${i}]`, w));
  port.wmb();
  port.store('config.gen', gen + 2);
}

/** Sets the config-change status bit; raises config-irq only on its 0 -> 1 edge. */
export function signalConfigChange(port) {
  if (port.exchange('config.dev_changed', 1) === 0) port.notify('config-irq');
}

/** Takes the driver's fields, then hands them back by clearing the flag; returns the words taken. */
export function takeDriverWrite(port) {
  const n = port.params.driverBytes / 4;
  const words = [];
  for (let j = 0; j < n; j++) words.push(port.load(`config.drv[${j}]`));
  port.store('config.drv_changed', 0);
  return words;
}
