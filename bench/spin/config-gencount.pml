/*
 * config-gencount.pml: a Promela twin of virtio-verify's model config-gencount (design 1: the
 * config space over plain shared memory with a 32-bit generation counter, odd while the device
 * updates, i.e. a seqlock; one event per direction, each coalesced by a status flag).
 *
 * Source of truth: models/config-gencount/{layout,driver,device,variants,invariants,index}.ts.
 * Parameters are our defaults: configBytes=16 (4 data words), driverBytes=8 (2 driver words),
 * updates=2, writes=2, reads=1. Driver: initial read, 2 writes, 1 extra read, then the config-irq
 * event loop. Device: 2 x (poll config-doorbell and take a pending driver write; update; signal),
 * then the config-doorbell event loop.
 *
 * Variant, chosen with spin -D (default: the reference):
 *   (none)               reference                expected: no error
 *   -DNO_ODD_CHECK       no-odd-check             expected: assertion no-torn-read
 *   -DCLEAR_AFTER        clear-after-process      expected: assertion no-lost-config-event
 * The comparison in bench/spin/run.sh uses those three; the other mutants of ours are here too:
 *   -DSINGLE_BUMP        single-bump              expected: assertion no-torn-read
 *   -DNO_RECHECK         no-recheck               expected: assertion no-torn-read
 *   -DBACK_TO_BACK       driver-back-to-back      expected: assertion driver-write-intact
 *
 * How it maps to ours:
 *   - each port operation (load, store, exchange, wait/poll on an event latch) is one Promela
 *     statement, i.e. one interleaving point, as each yielded operation is one scheduling point;
 *   - an exchange, a wait (idle) and a poll are made indivisible with atomic{} (ours: one step);
 *   - events are binary latches: notify sets the latch, a wait blocks until it is set and
 *     clears it, a poll clears it and says whether it was set (harness/core/ops.ts, shared-state.ts);
 *   - virtio_wmb / virtio_rmb / virtio_mb are omitted: under memory model sc they have no effect
 *     (ours still spends one scheduling point on each, which adds executions, not behaviours);
 *   - a spin loop with pause (`while (drv_changed) pause`, `if (gen odd) { pause; retry }`) is a
 *     blocking guard: ours never schedules a paused actor while another actor can run, so the
 *     behaviours are the same, and a wait that can never end shows up as an invalid end state
 *     (ours: no-deadlock / no-livelock) instead of a cycle;
 *   - a value is stored as its version number (word i of device version k is k; word j of the
 *     driver's w-th write is w) instead of deviceWord(k,i) / driverWord(w,j): a torn read is words
 *     from different versions either way;
 *   - notes (read-begin, read-accept, update-begin/end, write-begin/end, apply-begin, apply) are
 *     ghost assignments merged, with atomic{}, into the memory operation next to them (ours: a note
 *     is not a scheduling point). Ghost counters: dev_started/dev_completed count device updates
 *     begun/completed, drv_started/drv_completed the driver's writes.
 *
 * Invariants (models/config-gencount/invariants.ts, harness/oracle/register-oracle.ts):
 *   no-torn-read         assertion when the driver accepts a read: the 4 words come from one
 *                        version k, and k was current at some instant of the read, i.e. update k+1
 *                        had not completed when the read began (k >= rd_lo) and update k had begun
 *                        (k <= dev_started);
 *   driver-write-intact  the same when the device takes the driver's words (ap_lo, drv_started), and
 *                        at quiescence the device's last take is the driver's last write;
 *   no-lost-config-event at quiescence (Promela `timeout`: no statement of any other process can
 *                        run, which is ours "once nothing can run"), the driver's last accepted
 *                        config is the device's latest version.
 *   no-deadlock          SPIN's invalid-end-state check: only the two idle event loops are
 *                        labelled end states.
 * rd_lo is taken at the counter load that begins the accepted attempt, ours at read-begin (before
 * the retry loop): under sc a uniform version k read after update k+1 completed is impossible, so
 * the two windows accept the same reads.
 */

#define WORDS 4      /* configBytes / 4 */
#define DWORDS 2     /* driverBytes / 4 */
#define UPDATES 2
#define WRITES 2
#define READS 1

/* shared memory (layout.ts) */
byte gen = 0;            /* config.gen: odd while an update is in progress (never wraps here) */
bit  dev_changed = 0;    /* config.dev_changed: the config-change status bit */
bit  drv_changed = 0;    /* config.drv_changed: the driver wrote its fields, not yet taken */
byte data[WORDS];        /* config.data[]: version 0 initially */
byte drv[DWORDS];        /* config.drv[]: 0 initially */
/* event latches */
bit  config_irq = 0;
bit  config_doorbell = 0;

/* ghosts for the oracles */
byte dev_started = 0, dev_completed = 0;
byte drv_started = 0, drv_completed = 0;
byte last_acc = 255;     /* version the driver last accepted (255: none yet) */
byte last_applied = 0;   /* version of the driver's fields the device last took (0: initial) */

/* read-config (driver.ts readConfig / variants.ts readConfigNoOddCheck) followed by read-accept */
inline read_config() {
  do
  :: 
#ifdef NO_ODD_CHECK
     atomic { before = gen; rd_lo = dev_completed };
#else
     atomic { (gen % 2 == 0) -> before = gen; rd_lo = dev_completed };
#endif
     w0 = data[0];
     w1 = data[1];
     w2 = data[2];
#ifdef NO_RECHECK
     atomic {
       w3 = data[3];
       /* read-accept without re-reading the counter: no-torn-read */
       assert(w0 == w1 && w1 == w2 && w2 == w3 && w0 >= rd_lo && w0 <= dev_started);
       last_acc = w0;
       break
     }
#else
     w3 = data[3];
     atomic {
       after = gen;
       if
       :: after == before ->
          /* read-accept: no-torn-read */
          assert(w0 == w1 && w1 == w2 && w2 == w3 && w0 >= rd_lo && w0 <= dev_started);
          last_acc = w0;
          break
       :: else -> skip
       fi
     }
#endif
  od
}

/* write-config (driver.ts writeConfig + writeWords): wait for the device to take the last write */
inline write_config(w) {
#ifndef BACK_TO_BACK
  (drv_changed == 0);
#endif
  atomic { drv_started++; drv[0] = w };
  atomic { drv[1] = w; drv_completed++ };
  drv_changed = 1;
  config_doorbell = 1
}

/* handle-config-change (driver.ts handleConfigChange / variants.ts handleConfigChangeClearAfter) */
inline handle_config_change() {
#ifdef CLEAR_AFTER
  read_config();
  dev_changed = 0
#else
  dev_changed = 0;
  read_config()
#endif
}

/* take-driver-write (device.ts takeDriverWrite): driver-write-intact on the words taken */
inline take_driver_write() {
  atomic { d0 = drv[0]; ap_lo = drv_completed };
  atomic {
    d1 = drv[1];
    assert(d0 == d1 && d0 >= ap_lo && d0 <= drv_started);
    last_applied = d0
  };
  drv_changed = 0
}

/* update-config (device.ts updateConfig) */
inline update_config(k) {
  atomic { dev_started++; g = gen };
#ifndef SINGLE_BUMP
  gen = g + 1;
#endif
  data[0] = k;
  data[1] = k;
  data[2] = k;
  data[3] = k;
  atomic { gen = g + 2; dev_completed++ }
}

/* signal-config-change (device.ts signalConfigChange): raise config-irq on the 0 -> 1 edge */
inline signal_config_change() {
  atomic { was = dev_changed; dev_changed = 1 };
  if
  :: was == 0 -> config_irq = 1
  :: else -> skip
  fi
}

active proctype driver() {
  byte before, after, rd_lo, w0, w1, w2, w3, i;
  read_config();
  i = 1;
  do
  :: i <= WRITES -> write_config(i); i++
  :: else -> break
  od;
  i = 0;
  do
  :: i < READS -> read_config(); i++
  :: else -> break
  od;
end_idle:
  do
  :: atomic { config_irq == 1 -> config_irq = 0 };
     handle_config_change()
  od
}

active proctype device() {
  byte g, k, d0, d1, ap_lo;
  bit was, polled;
  k = 1;
  do
  :: k <= UPDATES ->
     atomic {                                /* poll config-doorbell: one step */
       if
       :: config_doorbell == 1 -> config_doorbell = 0; polled = 1
       :: else -> polled = 0
       fi
     };
     if
     :: polled -> take_driver_write()
     :: else -> skip
     fi;
     update_config(k);
     signal_config_change();
     k++
  :: else -> break
  od;
end_idle:
  do
  :: atomic { config_doorbell == 1 -> config_doorbell = 0 };
     take_driver_write()
  od
}

/* Quiescence: once nothing else can run, every change reached its reader (the liveness oracles). */
active proctype quiescence() {
  timeout ->
    assert(last_acc == dev_started);            /* no-lost-config-event */
    assert(last_applied == drv_started)         /* driver-write-intact, convergence */
}
