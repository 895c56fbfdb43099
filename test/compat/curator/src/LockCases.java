import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;

/** Locks, leader election, counters and queues: sequential nodes and child watches. */
final class LockCases {
    private LockCases() {
    }

    static void register(Map<String, CuratorSuite.Case> cases) {
        cases.put("mutex", LockCases::mutex);
        cases.put("semaphore", LockCases::semaphore);
        cases.put("rwlock", LockCases::rwlock);
        cases.put("leaderLatch", LockCases::leaderLatch);
        cases.put("leaderSelector", LockCases::leaderSelector);
        cases.put("atomicLong", LockCases::atomicLong);
        cases.put("queue", LockCases::queue);
    }

    static void mutex(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework b = ctx.client();
        String p = ctx.path("lock");
        InterProcessMutex ma = new InterProcessMutex(a, p);
        InterProcessMutex mb = new InterProcessMutex(b, p);

        ctx.step = "a acquires twice (reentrant)";
        Ctx.check(ma.acquire(5, SECONDS), "a could not acquire a free lock");
        Ctx.check(ma.acquire(5, SECONDS), "a could not re-enter its own lock");
        Ctx.check(!mb.acquire(300, MILLISECONDS), "b acquired the lock a holds");
        ma.release();
        Ctx.check(!mb.acquire(300, MILLISECONDS), "b acquired the lock a still holds once");
        ma.release();
        ctx.step = "b acquires after a released";
        Ctx.check(mb.acquire(5, SECONDS), "b could not acquire after a released it");
        Ctx.check(!ma.acquire(300, MILLISECONDS), "a acquired the lock b holds");
        Ctx.checkEq(1, Ctx.children(b, p).size(), "lock nodes while b holds (timed-out waiters must remove theirs)");
        mb.release();
        Ctx.checkEq(0, Ctx.children(b, p).size(), "lock nodes after the last release");

        ctx.step = "four threads on two clients contend";
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        AtomicInteger entries = new AtomicInteger();
        AtomicReference<Throwable> err = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            CuratorFramework c = i % 2 == 0 ? a : b;
            Thread t = new Thread(() -> {
                InterProcessMutex m = new InterProcessMutex(c, p);
                try {
                    for (int j = 0; j < 5; j++) {
                        if (!m.acquire(10, SECONDS)) {
                            throw new AssertionError("acquire timed out under contention");
                        }
                        try {
                            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            entries.incrementAndGet();
                            Thread.sleep(5);
                            inside.decrementAndGet();
                        } finally {
                            m.release();
                        }
                    }
                } catch (Throwable e) {
                    err.compareAndSet(null, e);
                }
            });
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(20_000);
        }
        if (err.get() != null) {
            throw new AssertionError("contending thread: " + CuratorSuite.describe(err.get()));
        }
        Ctx.checkEq(20, entries.get(), "critical sections entered");
        Ctx.checkEq(1, maxInside.get(), "most holders at once");
    }

    static void semaphore(Ctx ctx) throws Exception {
        String p = ctx.path("semaphore");
        InterProcessSemaphoreV2 s1 = new InterProcessSemaphoreV2(ctx.client(), p, 2);
        InterProcessSemaphoreV2 s2 = new InterProcessSemaphoreV2(ctx.client(), p, 2);
        InterProcessSemaphoreV2 s3 = new InterProcessSemaphoreV2(ctx.client(), p, 2);

        ctx.step = "two of two leases taken";
        Lease l1 = s1.acquire(5, SECONDS);
        Lease l2 = s2.acquire(5, SECONDS);
        Ctx.check(l1 != null && l2 != null, "could not take the two leases of a free semaphore");
        Ctx.check(s3.acquire(300, MILLISECONDS) == null, "a third lease was granted with maxLeases 2");
        Ctx.checkEq(2, s3.getParticipantNodes().size(), "lease nodes while two are held");
        s1.returnLease(l1);
        ctx.step = "third client gets the returned lease";
        Lease l3 = s3.acquire(5, SECONDS);
        Ctx.check(l3 != null, "the returned lease was not granted to the waiter");
        Ctx.check(s1.acquire(300, MILLISECONDS) == null, "a lease was granted while two are held again");
        s2.returnLease(l2);
        s3.returnLease(l3);
        ctx.step = "both leases at once";
        List<Lease> both = new ArrayList<>(s1.acquire(2, 5, SECONDS));
        Ctx.checkEq(2, both.size(), "leases granted to one acquire(2)");
        s1.returnAll(both);
        Ctx.checkEq(0, Ctx.children(ctx.client(), p + "/leases").size(), "lease nodes after all were returned");
    }

    static void rwlock(Ctx ctx) throws Exception {
        String p = ctx.path("rwlock");
        InterProcessReadWriteLock ra = new InterProcessReadWriteLock(ctx.client(), p);
        InterProcessReadWriteLock rb = new InterProcessReadWriteLock(ctx.client(), p);

        ctx.step = "two readers";
        Ctx.check(ra.readLock().acquire(5, SECONDS), "a could not take a free read lock");
        Ctx.check(rb.readLock().acquire(5, SECONDS), "b could not share the read lock");
        Ctx.check(!rb.writeLock().acquire(300, MILLISECONDS), "b took the write lock while two readers hold");
        ra.readLock().release();
        rb.readLock().release();
        ctx.step = "one writer";
        Ctx.check(rb.writeLock().acquire(5, SECONDS), "b could not take the write lock after the readers left");
        Ctx.check(!ra.readLock().acquire(300, MILLISECONDS), "a took a read lock while b writes");
        Ctx.check(!ra.writeLock().acquire(300, MILLISECONDS), "a took the write lock while b writes");
        Ctx.check(rb.readLock().acquire(5, SECONDS), "the writer could not also take the read lock (downgrade)");
        rb.writeLock().release();
        Ctx.check(!ra.writeLock().acquire(300, MILLISECONDS), "a took the write lock while b still reads");
        rb.readLock().release();
        ctx.step = "a writes after b left";
        Ctx.check(ra.writeLock().acquire(5, SECONDS), "a could not take the write lock once free");
        ra.writeLock().release();
    }

    static void leaderLatch(Ctx ctx) throws Exception {
        String p = ctx.path("latch");
        LeaderLatch la = ctx.closeLater(new LeaderLatch(ctx.client(), p, "a"));
        LeaderLatch lb = ctx.closeLater(new LeaderLatch(ctx.client(), p, "b"));
        la.start();
        lb.start();

        ctx.step = "waiting for a leader";
        ctx.await(() -> la.hasLeadership() || lb.hasLeadership(), "one of two latches becomes leader");
        long end = System.currentTimeMillis() + 500;
        while (System.currentTimeMillis() < end) {
            Ctx.check(!(la.hasLeadership() && lb.hasLeadership()), "both latches are leader");
            Thread.sleep(20);
        }
        LeaderLatch leader = la.hasLeadership() ? la : lb;
        LeaderLatch other = leader == la ? lb : la;
        Ctx.check(!other.hasLeadership(), "both latches are leader");
        Ctx.checkEq(2, leader.getParticipants().size(), "participants");
        Ctx.checkEq(leader.getId(), other.getLeader().getId(), "leader as the follower sees it");

        ctx.step = "handover on close";
        leader.close();
        Ctx.check(other.await(10, SECONDS), "the other latch did not take over within 10 s of the leader closing");
        Ctx.checkEq(other.getId(), other.getLeader().getId(), "leader after handover");
        Ctx.checkEq(1, other.getParticipants().size(), "participants after the leader closed");
    }

    static void leaderSelector(Ctx ctx) throws Exception {
        String p = ctx.path("selector");
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        BlockingQueue<String> leaders = new LinkedBlockingQueue<>();
        Map<String, Semaphore> done = new ConcurrentHashMap<>();
        List<LeaderSelector> selectors = new ArrayList<>();
        for (String id : new String[] {"a", "b"}) {
            done.put(id, new Semaphore(0));
            LeaderSelector s = new LeaderSelector(ctx.client(), p, new LeaderSelectorListenerAdapter() {
                @Override
                public void takeLeadership(CuratorFramework client) throws Exception {
                    maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    try {
                        leaders.add(id);
                        done.get(id).acquire();
                    } finally {
                        inside.decrementAndGet();
                    }
                }
            });
            s.setId(id);
            selectors.add(ctx.closeLater(s));
        }
        for (LeaderSelector s : selectors) {
            s.start();
        }

        ctx.step = "first leader";
        String first = Ctx.next(leaders, "leader");
        Ctx.check(leaders.poll(300, MILLISECONDS) == null, "a second leader while the first leads");
        LeaderSelector anySel = selectors.get(0);
        Ctx.checkEq(first, anySel.getLeader().getId(), "leader id read from the participant nodes");
        Ctx.checkEq(2, anySel.getParticipants().size(), "participants");
        ctx.step = "the first gives up leadership";
        done.get(first).release();
        String second = Ctx.next(leaders, "second leader");
        Ctx.check(!first.equals(second), "leadership went back to " + first + " instead of the waiting selector");
        done.get(second).release();
        Ctx.checkEq(1, maxInside.get(), "most leaders at once");
    }

    static void atomicLong(Ctx ctx) throws Exception {
        String p = ctx.path("counter");
        CuratorFramework a = ctx.client();
        CuratorFramework b = ctx.client();
        DistributedAtomicLong da = new DistributedAtomicLong(a, p, new RetryNTimes(100, 5));
        DistributedAtomicLong db = new DistributedAtomicLong(b, p, new RetryNTimes(100, 5));
        Ctx.check(da.initialize(0L), "initialize of a new counter");
        Ctx.check(!db.initialize(5L), "initialize of an existing counter succeeded");

        ctx.step = "four threads increment";
        AtomicReference<Throwable> err = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            DistributedAtomicLong d = i % 2 == 0 ? da : db;
            Thread t = new Thread(() -> {
                try {
                    for (int j = 0; j < 25; j++) {
                        AtomicValue<Long> v;
                        do {
                            v = d.increment();
                        } while (!v.succeeded());
                        Ctx.check(v.postValue() == v.preValue() + 1, "increment " + v.preValue() + " -> " + v.postValue());
                    }
                } catch (Throwable e) {
                    err.compareAndSet(null, e);
                }
            });
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(20_000);
        }
        if (err.get() != null) {
            throw new AssertionError("incrementing thread: " + CuratorSuite.describe(err.get()));
        }
        Ctx.checkEq(100L, db.get().postValue(), "counter after 100 increments");

        ctx.step = "compareAndSet";
        AtomicValue<Long> v = da.compareAndSet(99L, 5L);
        Ctx.check(!v.succeeded(), "compareAndSet(99, 5) succeeded on 100");
        Ctx.checkEq(100L, v.preValue(), "value a failed compareAndSet saw");
        v = da.compareAndSet(100L, 7L);
        Ctx.check(v.succeeded(), "compareAndSet(100, 7) failed on 100");
        v = db.add(3L);
        Ctx.check(v.succeeded() && v.postValue() == 10L, "add(3) to 7 gave " + v.postValue());
        Ctx.checkEq(10L, da.get().postValue(), "value read by the other client");
    }

    static void queue(Ctx ctx) throws Exception {
        String p = ctx.path("queue");
        QueueSerializer<String> ser = new QueueSerializer<String>() {
            @Override
            public byte[] serialize(String item) {
                return item.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public String deserialize(byte[] bytes) {
                return new String(bytes, StandardCharsets.UTF_8);
            }
        };
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        QueueConsumer<String> consumer = new QueueConsumer<String>() {
            @Override
            public void consumeMessage(String message) {
                got.add(message);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState newState) {
            }
        };
        CuratorFramework b = ctx.client();
        DistributedQueue<String> in = ctx.closeLater(QueueBuilder.builder(b, consumer, ser, p).buildQueue());
        DistributedQueue<String> out = ctx.closeLater(QueueBuilder.builder(ctx.client(), null, ser, p).buildQueue());
        in.start();
        out.start();

        ctx.step = "20 items through the queue";
        for (int i = 0; i < 20; i++) {
            out.put("item-" + i);
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            seen.add(Ctx.next(got, "item " + i + " (seen so far " + seen + ")"));
        }
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            want.add("item-" + i);
        }
        Ctx.checkEq(want, seen, "items in the order put");
        ctx.await(() -> {
            try {
                return Ctx.children(b, p).isEmpty();
            } catch (Exception e) {
                return false;
            }
        }, "consumed items are removed from " + p);
        Ctx.check(got.isEmpty(), "items delivered more than once: " + got);
    }
}
