/*
 * vring-notify.pml: a small split-virtqueue notification protocol with flag suppression
 * (VIRTQ_USED_F_NO_NOTIFY, VIRTQ_AVAIL_F_NO_INTERRUPT, no EVENT_IDX), written from
 * /work/shared/spec/virtio-digest.md section 2 ("Suppression", "Ordering", "Re-enabling") and
 * pitfall 1 (re-enable, full barrier, re-check), with the step order of our model vring-split
 * (models/vring-split/{index,driver,device}.ts) at --param eventIdx=0.
 *
 * Variant, chosen with spin -D (default: the reference):
 *   (none)            reference                 expected: no error
 *   -DNO_RECHECK      no-recheck-after-enable   expected: assertion no-lost-notification
 *                     (the driver clears NO_INTERRUPT and sleeps without re-reading used.idx: a
 *                     buffer used while interrupts were still suppressed is never announced;
 *                     ours: vring-split --variant no-recheck-after-enable, enableCbNoRecheck)
 *
 * Scenario (ours' defaults where they apply): queue size N=2, B=3 buffers.
 *   driver: add buffers while fewer than N are in flight (avail.ring[idx % N] = buffer id, then
 *           avail.idx += 1); if it added any, kick unless used.flags has NO_NOTIFY; stop once all B
 *           came back; otherwise sleep until used-irq, then drain: set NO_INTERRUPT, take every used
 *           element (used.idx != last_used: read used.ring[last_used % N]), clear NO_INTERRUPT,
 *           re-read used.idx and, if it moved, set NO_INTERRUPT again and take the rest
 *           (virtqueue_disable_cb / get_buf / virtqueue_enable_cb, Linux virtio_ring.c).
 *   device: sleep until kick; set NO_NOTIFY; pop (avail.idx != last_avail: read
 *           avail.ring[last_avail % N]); push used (used.ring[used % N] = id, then used.idx += 1);
 *           interrupt unless avail.flags has NO_INTERRUPT; when the ring looks empty, clear
 *           NO_NOTIFY, re-read avail.idx and either sleep or set NO_NOTIFY and go on
 *           (vhost_enable_notify / QEMU virtio_queue_set_notification).
 *
 * Simplified against ours (which models the real ring layout):
 *   - no descriptor table, chains or indirect tables: the avail slot holds the buffer id itself
 *     and the used element is its id only (no len); ours writes and walks a 2-descriptor chain in
 *     an indirect table per request, which adds steps but no notification behaviour;
 *   - indices do not wrap (3 buffers): ours runs them as free-running u16 (see startIndex);
 *   - barriers are omitted (sequential consistency, as ours --memory sc): the missing-mb variants
 *     need --memory tso and have no twin here;
 *   - an event is a binary latch, a notify sets it and a wait blocks until it is set and clears it
 *     (as ours).
 *
 * Invariants:
 *   publish-order / used-exactly-once (simplified): the device pops buffer ids in the order they
 *     were exposed and the driver gets them back in the order they were used (assertions);
 *   in-flight-within-size: 0 <= avail.idx - used.idx <= N (assertion after each index store);
 *   no-lost-notification: at quiescence (Promela `timeout`: nothing else can run) every exposed
 *     buffer was popped and every used buffer was taken, and the driver has all B back (ours: once
 *     nothing can run, no side sleeps with work pending);
 *   no-deadlock: SPIN's invalid-end-state check (only the device's idle wait is an end state; the
 *     driver must terminate).
 */

#define N 2
#define B 3
#define NO_NOTIFY 1
#define NO_INTERRUPT 1

/* shared memory */
byte avail_idx = 0;
byte avail_ring[N];
bit  avail_flags = 0;      /* VIRTQ_AVAIL_F_NO_INTERRUPT, written by the driver */
byte used_idx = 0;
byte used_ring[N];         /* used element: the id only */
bit  used_flags = 0;       /* VIRTQ_USED_F_NO_NOTIFY, written by the device */
/* event latches */
bit  kick = 0;
bit  used_irq = 0;
/* ghost */
byte received = 0;

inline check_in_flight() {
  assert(avail_idx >= used_idx && avail_idx - used_idx <= N)
}

/* get_buf loop: take every used element the driver can see */
inline take_used() {
  do
  :: u = used_idx;
     if
     :: u == last_used -> break
     :: else ->
        id = used_ring[last_used % N];
        assert(id == last_used);           /* used in exposure order, each once */
        last_used++;
        received++
     fi
  od
}

active proctype driver() {
  byte next = 0, shadow_avail = 0, last_used = 0, u, id;
  bit added, flags_shadow = 0, uf;
  do
  :: /* add as many buffers as fit (virtqueue_add_split) */
     added = 0;
     do
     :: next < B && shadow_avail - last_used < N ->
        avail_ring[shadow_avail % N] = next;
        atomic { avail_idx = shadow_avail + 1; check_in_flight() };
        shadow_avail++;
        next++;
        added = 1
     :: else -> break
     od;
     /* kick (virtqueue_kick_prepare_split + notify) */
     if
     :: added ->
        uf = used_flags;
        if
        :: uf == 0 -> kick = 1
        :: else -> skip
        fi
     :: else -> skip
     fi;
     if
     :: received == B -> break
     :: else -> skip
     fi;
     /* sleep until the used-buffer interrupt */
     atomic { used_irq == 1 -> used_irq = 0 };
     /* drain: disable_cb, get_buf until empty, enable_cb (re-enable + re-check) */
     if
     :: flags_shadow == 0 -> flags_shadow = 1; avail_flags = NO_INTERRUPT
     :: else -> skip
     fi;
     do
     :: take_used();
        /* enable_cb_prepare: clear NO_INTERRUPT */
        if
        :: flags_shadow == 1 -> flags_shadow = 0; avail_flags = 0
        :: else -> skip
        fi;
#ifdef NO_RECHECK
        break
#else
        /* virtqueue_poll: (virtio_mb) re-read used.idx */
        u = used_idx;
        if
        :: u == last_used -> break
        :: else ->
           flags_shadow = 1; avail_flags = NO_INTERRUPT
        fi
#endif
     od
  od
}

active proctype device() {
  byte last_avail = 0, shadow_used = 0, a, head;
  bit af;
end_idle:
  do
  :: atomic { kick == 1 -> kick = 0 };
     used_flags = NO_NOTIFY;                   /* disable kicks */
     do
     :: a = avail_idx;                         /* pop */
        if
        :: a == last_avail ->
           used_flags = 0;                     /* enable kicks, (virtio_mb), re-check */
           a = avail_idx;
           if
           :: a == last_avail -> break
           :: else -> used_flags = NO_NOTIFY
           fi
        :: else ->
           head = avail_ring[last_avail % N];
           assert(head == last_avail);         /* exposed in order, ring entry before the index */
           last_avail++;
           /* push used */
           used_ring[shadow_used % N] = head;
           atomic { used_idx = shadow_used + 1; check_in_flight() };
           shadow_used++;
           /* should notify: (virtio_mb) read avail.flags */
           af = avail_flags;
           if
           :: af == 0 -> used_irq = 1
           :: else -> skip
           fi
        fi
     od
  od
}

/* Quiescence: nothing else can run; no side may sleep with work pending. */
active proctype quiescence() {
  timeout ->
    assert(avail_idx == used_idx && received == B)   /* no-lost-notification */
}
