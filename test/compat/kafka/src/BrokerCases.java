import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

/** Broker registration, controller election, epoch-guarded controller writes, broker session expiry. */
final class BrokerCases {
    private BrokerCases() {
    }

    static void register(Map<String, KafkaSuite.Case> cases) {
        cases.put("brokerRegistration", BrokerCases::brokerRegistration);
        cases.put("controllerElection", BrokerCases::controllerElection);
        cases.put("epochGuardedWrites", BrokerCases::epochGuardedWrites);
        cases.put("brokerExpiry", BrokerCases::brokerExpiry);
    }

    static String brokerJson(int id) {
        return "{\"features\":{},\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},"
                + "\"endpoints\":[\"PLAINTEXT://127.0.0.1:" + (9090 + id) + "\"],\"jmx_port\":-1,"
                + "\"port\":" + (9090 + id) + ",\"host\":\"127.0.0.1\",\"version\":5,\"timestamp\":\"1700000000000\"}";
    }

    /**
     * Registers broker id as Kafka's checked ephemeral create does: create
     * the ephemeral; on NodeExists it is ours only if this session owns it.
     * Returns the broker epoch, the znode's czxid.
     */
    static long registerBroker(Ctx ctx, Zk b, int id) throws Exception {
        String path = ctx.path("brokers/ids/" + id);
        Stat st = new Stat();
        try {
            b.zk.create(path, Ctx.b(brokerJson(id)), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL, st);
        } catch (KeeperException.NodeExistsException e) {
            b.zk.getData(path, false, st);
            if (st.getEphemeralOwner() != b.zk.getSessionId()) {
                throw e;
            }
        }
        return st.getCzxid();
    }

    static void brokerRegistration(Ctx ctx) throws Exception {
        Zk admin = ctx.zk();
        Ctx.mkdirs(admin.zk, ctx.path("brokers/ids"));

        ctx.step = "three brokers register";
        List<Zk> brokers = new ArrayList<>();
        long[] epochs = new long[4];
        for (int id = 1; id <= 3; id++) {
            Zk b = ctx.zk();
            brokers.add(b);
            epochs[id] = registerBroker(ctx, b, id);
            Stat st = new Stat();
            byte[] data = admin.zk.getData(ctx.path("brokers/ids/" + id), false, st);
            Ctx.checkEq(brokerJson(id), Ctx.s(data), "registration data of broker " + id);
            Ctx.checkEq(epochs[id], st.getCzxid(), "czxid of broker " + id + " (create2 stat vs getData stat)");
            Ctx.checkEq(b.zk.getSessionId(), st.getEphemeralOwner(), "ephemeralOwner of broker " + id);
            Ctx.checkEq(st.getCzxid(), st.getMzxid(), "mzxid of a fresh registration");
            if (id > 1) {
                Ctx.check(epochs[id] > epochs[id - 1], "broker epochs not increasing: " + epochs[id - 1] + " then " + epochs[id]);
            }
        }
        List<String> ids = admin.zk.getChildren(ctx.path("brokers/ids"), false);
        Collections.sort(ids);
        Ctx.checkEq(List.of("1", "2", "3"), ids, "registered broker ids");

        ctx.step = "re-registration by the owner and by another broker";
        Ctx.checkEq(epochs[2], registerBroker(ctx, brokers.get(1), 2), "epoch of a repeated registration by the owner");
        try {
            registerBroker(ctx, brokers.get(2), 2);
            throw new AssertionError("broker 3's session registered id 2, owned by broker 2");
        } catch (KeeperException.NodeExistsException e) {
            // the conflict Kafka reports as "broker id already registered"
        }

        ctx.step = "a clean shutdown removes the registration";
        long owner = brokers.get(0).zk.getSessionId();
        Ctx.check(owner != 0, "session id 0");
        brokers.get(0).close();
        Ctx.check(admin.zk.exists(ctx.path("brokers/ids/1"), false) == null, "broker 1's node outlived its closed session");
    }

    static String controllerJson(int id) {
        return "{\"version\":1,\"brokerid\":" + id + ",\"timestamp\":\"1700000000000\"}";
    }

    /** Kafka's registerControllerAndIncrementControllerEpoch as one multi. */
    static List<Op> electionOps(Ctx ctx, int id, int epoch, int epochZkVersion) {
        return List.of(
                Op.create(ctx.path("controller"), Ctx.b(controllerJson(id)), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL),
                Op.setData(ctx.path("controller_epoch"), Ctx.b(Integer.toString(epoch)), epochZkVersion));
    }

    static void controllerElection(Ctx ctx) throws Exception {
        Zk admin = ctx.zk();
        admin.zk.create(ctx.path("controller_epoch"), Ctx.b("0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        Zk a = ctx.zk();
        Zk b = ctx.zk();

        ctx.step = "broker 1 wins the election";
        List<OpResult> res = a.zk.multi(electionOps(ctx, 1, 1, 0));
        Ctx.checkEq(2, res.size(), "results of the winning multi");
        Ctx.checkEq(ctx.path("controller"), ((OpResult.CreateResult) res.get(0)).getPath(), "created path");
        Ctx.checkEq(1, ((OpResult.SetDataResult) res.get(1)).getStat().getVersion(), "controller_epoch version after the election");

        ctx.step = "broker 2 loses with NodeExists (async multi, as Kafka sends it)";
        BlockingQueue<Object[]> done = new LinkedBlockingQueue<>();
        b.zk.multi(electionOps(ctx, 2, 1, 0), (rc, path, c, opResults) -> done.add(new Object[] {rc, opResults}), null);
        Object[] r = Ctx.next(done, "multi callback");
        Ctx.checkEq(Code.NODEEXISTS.intValue(), r[0], "rc of the losing multi");
        @SuppressWarnings("unchecked")
        List<OpResult> lost = (List<OpResult>) r[1];
        Ctx.check(lost != null && lost.size() == 2, "per-op results of the losing multi: " + lost);
        Ctx.checkEq(Code.NODEEXISTS.intValue(), ((OpResult.ErrorResult) lost.get(0)).getErr(), "error of the create");
        Ctx.checkEq(Code.RUNTIMEINCONSISTENCY.intValue(), ((OpResult.ErrorResult) lost.get(1)).getErr(), "error of the setData");
        Stat st = new Stat();
        Ctx.checkEq("1", Ctx.s(admin.zk.getData(ctx.path("controller_epoch"), false, st)), "controller_epoch after the lost election");
        Ctx.checkEq(1, st.getVersion(), "controller_epoch version after the lost election");
        Ctx.checkEq(controllerJson(1), Ctx.s(admin.zk.getData(ctx.path("controller"), false, st)), "controller");
        Ctx.checkEq(a.zk.getSessionId(), st.getEphemeralOwner(), "owner of /controller");

        ctx.step = "broker 2 watches /controller and takes over when broker 1 goes";
        Ctx.check(b.zk.exists(ctx.path("controller"), true) != null, "/controller vanished");
        a.close();
        Ctx.checkEq("NodeDeleted " + ctx.path("controller"), b.nextEvent("controller change event"), "event");
        try {
            b.zk.multi(electionOps(ctx, 2, 2, 0));
            throw new AssertionError("an election with a stale controller_epoch version succeeded");
        } catch (KeeperException.BadVersionException e) {
            Ctx.check(admin.zk.exists(ctx.path("controller"), false) == null, "the create of a failed election multi was applied");
        }
        b.zk.multi(electionOps(ctx, 2, 2, 1));
        Ctx.checkEq("2", Ctx.s(admin.zk.getData(ctx.path("controller_epoch"), false, st)), "controller_epoch after the second election");
        Ctx.checkEq(2, st.getVersion(), "controller_epoch version after the second election");
    }

    static void epochGuardedWrites(Ctx ctx) throws Exception {
        Zk admin = ctx.zk();
        admin.zk.create(ctx.path("controller_epoch"), Ctx.b("0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        String state = ctx.path("brokers/topics/t/partitions/0/state");
        Ctx.mkdirs(admin.zk, state);
        Zk a = ctx.zk();
        a.zk.multi(electionOps(ctx, 1, 1, 0));
        int aEpochVersion = 1;

        ctx.step = "the controller writes under its epoch";
        String isr1 = "{\"controller_epoch\":1,\"leader\":1,\"version\":1,\"leader_epoch\":0,\"isr\":[1,2]}";
        List<OpResult> res = a.zk.multi(List.of(
                Op.check(ctx.path("controller_epoch"), aEpochVersion),
                Op.setData(state, Ctx.b(isr1), 0)));
        Ctx.checkEq(1, ((OpResult.SetDataResult) res.get(1)).getStat().getVersion(), "state version after the guarded write");
        Ctx.check(res.get(0) instanceof OpResult.CheckResult, "result of the check: " + res.get(0));
        a.zk.multi(List.of(
                Op.check(ctx.path("controller_epoch"), aEpochVersion),
                Op.create(ctx.path("admin"), new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));

        ctx.step = "broker 2 becomes controller after broker 1's session is lost";
        ctx.killSession(a);
        Zk b = ctx.zk();
        long end = System.currentTimeMillis() + Ctx.WAIT_MS;
        while (admin.zk.exists(ctx.path("controller"), false) != null) {
            Ctx.check(System.currentTimeMillis() < end, "/controller outlived its killed session");
            Thread.sleep(20);
        }
        b.zk.multi(electionOps(ctx, 2, 2, 1));

        ctx.step = "the zombie controller's writes fail on the epoch check";
        Zk zombie = ctx.zk();
        String stale = "{\"controller_epoch\":1,\"leader\":1,\"version\":1,\"leader_epoch\":1,\"isr\":[1]}";
        List<List<Op>> writes = List.of(
                List.of(Op.check(ctx.path("controller_epoch"), aEpochVersion), Op.setData(state, Ctx.b(stale), -1)),
                List.of(Op.check(ctx.path("controller_epoch"), aEpochVersion),
                        Op.create(ctx.path("admin/delete_topics"), new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)),
                List.of(Op.check(ctx.path("controller_epoch"), aEpochVersion), Op.delete(state, -1)));
        for (List<Op> ops : writes) {
            try {
                zombie.zk.multi(ops);
                throw new AssertionError("a write guarded by a stale epoch version committed: " + ops.get(1).getPath());
            } catch (KeeperException.BadVersionException e) {
                List<OpResult> r = e.getResults();
                Ctx.check(r != null && r.size() == 2, "per-op results: " + r);
                Ctx.checkEq(Code.BADVERSION.intValue(), ((OpResult.ErrorResult) r.get(0)).getErr(), "error of the check");
                Ctx.checkEq(Code.RUNTIMEINCONSISTENCY.intValue(), ((OpResult.ErrorResult) r.get(1)).getErr(), "error of the guarded op");
            }
        }
        Stat st = new Stat();
        Ctx.checkEq(isr1, Ctx.s(admin.zk.getData(state, false, st)), "partition state after the stale writes");
        Ctx.checkEq(1, st.getVersion(), "partition state version after the stale writes");
        Ctx.check(admin.zk.exists(ctx.path("admin/delete_topics"), false) == null, "stale create was applied");

        ctx.step = "the new controller writes under its epoch";
        String isr2 = "{\"controller_epoch\":2,\"leader\":2,\"version\":1,\"leader_epoch\":1,\"isr\":[2]}";
        b.zk.multi(List.of(Op.check(ctx.path("controller_epoch"), 2), Op.setData(state, Ctx.b(isr2), 1)));
        Ctx.checkEq(isr2, Ctx.s(admin.zk.getData(state, false, null)), "partition state after the new controller's write");

        ctx.step = "a check of a missing node";
        try {
            b.zk.multi(List.of(Op.check(ctx.path("no_such_epoch"), 0), Op.setData(state, Ctx.b("x"), -1)));
            throw new AssertionError("a multi checking a missing node committed");
        } catch (KeeperException.NoNodeException e) {
            Ctx.checkEq(Code.NONODE.intValue(), ((OpResult.ErrorResult) e.getResults().get(0)).getErr(), "error of the check");
        }
    }

    static void brokerExpiry(Ctx ctx) throws Exception {
        Zk controller = ctx.zk();
        String ids = ctx.path("brokers/ids");
        Ctx.mkdirs(controller.zk, ids);
        Zk b1 = ctx.zk();
        Zk b2 = ctx.zk();
        registerBroker(ctx, b1, 1);
        long epoch2 = registerBroker(ctx, b2, 2);

        ctx.step = "the controller watches /brokers/ids";
        Stat st = new Stat();
        List<String> live = new ArrayList<>(controller.zk.getChildren(ids, true, st));
        Collections.sort(live);
        Ctx.checkEq(List.of("1", "2"), live, "live brokers");
        Ctx.checkEq(2, st.getNumChildren(), "numChildren of /brokers/ids");
        Ctx.check(controller.zk.exists(ids + "/2", true) != null, "broker 2 not registered");

        ctx.step = "broker 2's session expires";
        ctx.killSession(b2);
        List<String> evs = new ArrayList<>();
        evs.add(controller.nextEvent("first watch event after broker 2's session ended"));
        evs.add(controller.nextEvent("second watch event after broker 2's session ended"));
        Collections.sort(evs);
        Ctx.checkEq(List.of("NodeChildrenChanged " + ids, "NodeDeleted " + ids + "/2"), evs, "controller's watch events");
        live = new ArrayList<>(controller.zk.getChildren(ids, true));
        Ctx.checkEq(List.of("1"), live, "live brokers after broker 2 expired");
        b2.awaitState(Watcher.Event.KeeperState.Expired);

        ctx.step = "broker 2 restarts with a new session and a new epoch";
        Zk b2again = ctx.zk();
        long newEpoch = registerBroker(ctx, b2again, 2);
        Ctx.check(newEpoch > epoch2, "broker epoch did not grow: " + epoch2 + " then " + newEpoch);
        Ctx.checkEq("NodeChildrenChanged " + ids, controller.nextEvent("watch event after broker 2 came back"), "event");
        live = new ArrayList<>(controller.zk.getChildren(ids, false));
        Collections.sort(live);
        Ctx.checkEq(List.of("1", "2"), live, "live brokers after broker 2 came back");
    }
}
