import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

/**
 * Sequential change notifications read with child watches, watches re-sent
 * with SetWatches after a reconnect, and Kafka's pipelined async requests.
 */
final class NotifyCases {
    private NotifyCases() {
    }

    static void register(Map<String, KafkaSuite.Case> cases) {
        cases.put("configChanges", ctx -> notifications(ctx, "config/changes", "config_change_",
                "{\"version\":2,\"entity_path\":\"topics/t"));
        cases.put("isrChangeNotification", ctx -> notifications(ctx, "isr_change_notification", "isr_change_",
                "{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":"));
        cases.put("setWatchesAfterReconnect", NotifyCases::setWatchesAfterReconnect);
        cases.put("pipelinedAsync", NotifyCases::pipelinedAsync);
        cases.put("nettyPipelinedAsync", ctx -> {
            ctx.netty = true;
            pipelinedAsync(ctx);
        });
        cases.put("nettySetWatchesAfterReconnect", ctx -> {
            ctx.netty = true;
            setWatchesAfterReconnect(ctx);
        });
    }

    /** Children of dir, read as Kafka does with getChildren2 (async, default watcher), sorted. */
    static List<String> listAndWatch(Zk z, String dir, Stat out) throws InterruptedException {
        BlockingQueue<Object[]> done = new LinkedBlockingQueue<>();
        z.zk.getChildren(dir, true, (AsyncCallback.Children2Callback) (rc, path, c, children, stat) ->
                done.add(new Object[] {rc, children, stat}), null);
        Object[] r = Ctx.next(done, "getChildren2 callback on " + dir);
        Ctx.checkEq(Code.OK.intValue(), r[0], "rc of getChildren2 " + dir);
        @SuppressWarnings("unchecked")
        List<String> kids = new ArrayList<>((List<String>) r[1]);
        Collections.sort(kids);
        Stat st = (Stat) r[2];
        Ctx.checkEq(kids.size(), st.getNumChildren(), "numChildren of the getChildren2 stat");
        if (out != null) {
            out.setCversion(st.getCversion());
            out.setNumChildren(st.getNumChildren());
        }
        return kids;
    }

    /**
     * A writer creates persistent-sequential notifications while a listener
     * follows them with child watches, then purges them as Kafka's change
     * listeners do. Deletes advance the parent's cversion but not the
     * sequence numbers.
     */
    static void notifications(Ctx ctx, String rel, String prefix, String dataPrefix) throws Exception {
        String dir = ctx.path(rel);
        Zk listener = ctx.zk();
        Zk writer = ctx.zk();
        Ctx.mkdirs(writer.zk, dir);

        ctx.step = "listener lists an empty " + rel;
        Ctx.checkEq(List.of(), listAndWatch(listener, dir, null), "notifications before any");

        ctx.step = "three notifications";
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String created = writer.zk.create(dir + "/" + prefix, Ctx.b(dataPrefix + i + "\"}"), OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_SEQUENTIAL);
            Ctx.checkEq(dir + "/" + prefix + String.format("%010d", i), created, "path of notification " + i);
            want.add(prefix + String.format("%010d", i));
        }
        // Each firing is followed by a re-list that sets the watch again; the
        // listener sees all three after at most three firings.
        List<String> seen = List.of();
        for (int firings = 0; !seen.equals(want); firings++) {
            Ctx.check(firings < 3, "after 3 child watch events the listener sees " + seen + ", want " + want);
            Ctx.checkEq("NodeChildrenChanged " + dir, listener.nextEvent("child watch event on " + dir), "event");
            seen = listAndWatch(listener, dir, null);
        }
        for (int i = 0; i < 3; i++) {
            Ctx.checkEq(dataPrefix + i + "\"}", Ctx.s(listener.zk.getData(dir + "/" + want.get(i), false, null)), "data of " + want.get(i));
        }

        ctx.step = "purge and the next sequence number";
        writer.zk.delete(dir + "/" + want.get(0), -1);
        Ctx.checkEq("NodeChildrenChanged " + dir, listener.nextEvent("child watch event for the purge"), "event");
        Stat st = new Stat();
        Ctx.checkEq(want.subList(1, 3), listAndWatch(listener, dir, st), "notifications after the purge");
        Ctx.checkEq(4, st.getCversion(), "cversion after 3 creates and 1 delete");
        String created = writer.zk.create(dir + "/" + prefix, Ctx.b(dataPrefix + "3\"}"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
        // ZooKeeper takes the suffix from the count of children ever
        // created, not from the cversion the delete advanced.
        Ctx.checkEq(dir + "/" + prefix + "0000000003", created, "sequence after a delete");
        Ctx.checkEq("NodeChildrenChanged " + dir, listener.nextEvent("child watch event for the 4th notification"), "event");

        ctx.step = "the listener processes and deletes all notifications";
        List<String> left = listAndWatch(listener, dir, null);
        for (String n : left) {
            listener.zk.delete(dir + "/" + n, -1);
        }
        // The listener's own deletes fire its watch once.
        Ctx.checkEq("NodeChildrenChanged " + dir, listener.nextEvent("child watch event for its own deletes"), "event");
        Ctx.checkEq(List.of(), listAndWatch(listener, dir, null), "notifications after processing");
        String extra = listener.events.poll(300, java.util.concurrent.TimeUnit.MILLISECONDS) == null ? null : "extra";
        Ctx.check(extra == null, "a child watch fired more than once for one change");
    }

    static void setWatchesAfterReconnect(Ctx ctx) throws Exception {
        String x = ctx.path("x");
        String y = ctx.path("y");
        String z = ctx.path("z");
        Zk c = ctx.zk();
        c.zk.create(x, Ctx.b("0"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        c.zk.create(z, new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);

        ctx.step = "data, exists and child watches";
        Ctx.checkEq("0", Ctx.s(c.zk.getData(x, true, null)), "data of x");
        Ctx.check(c.zk.exists(y, true) == null, "y exists");
        Ctx.checkEq(List.of(), c.zk.getChildren(z, true), "children of z");
        long session = c.zk.getSessionId();

        ctx.step = "another connection resumes the session and changes the nodes";
        // The server closes c's connection (and drops its watches) when the
        // raw connection resumes the session; the writes that follow on the
        // raw connection come before c can reconnect, so only the watches c
        // re-sends with SetWatches can report them.
        RawSession.stealAndWrite(ctx.connect, session, c.zk.getSessionPasswd(), List.of(
                Op.setData(x, Ctx.b("1"), -1),
                Op.create(y, Ctx.b("y"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.create(z + "/child", new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)));

        ctx.step = "c reconnects and re-sends its watches";
        c.awaitState(Watcher.Event.KeeperState.Disconnected);
        c.awaitState(Watcher.Event.KeeperState.SyncConnected);
        Ctx.checkEq(session, c.zk.getSessionId(), "session after the reconnect");
        TreeSet<String> evs = new TreeSet<>();
        for (int i = 0; i < 3; i++) {
            evs.add(c.nextEvent("watch event " + (i + 1) + " of 3 after the reconnect (got " + evs + ")"));
        }
        Ctx.checkEq(new TreeSet<>(List.of("NodeDataChanged " + x, "NodeCreated " + y, "NodeChildrenChanged " + z)), evs,
                "events delivered through SetWatches");
        for (String e : evs) {
            Ctx.checkEq(2, c.connectsAtEvent.get(e), "connections made before \"" + e + "\" came (2: after the reconnect)");
        }
        Ctx.checkEq("1", Ctx.s(c.zk.getData(x, false, null)), "data of x after the reconnect");

        ctx.step = "watches set after the reconnect work";
        Ctx.checkEq("1", Ctx.s(c.zk.getData(x, true, null)), "data of x");
        Zk w = ctx.zk();
        w.zk.setData(x, Ctx.b("2"), -1);
        Ctx.checkEq("NodeDataChanged " + x, c.nextEvent("data watch set after the reconnect"), "event");
    }

    static void pipelinedAsync(Ctx ctx) throws Exception {
        Zk c = ctx.zk();
        String dir = ctx.path("topics");
        c.zk.create(dir, new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        int n = 200;

        ctx.step = n + " async creates in flight";
        BlockingQueue<String> done = new LinkedBlockingQueue<>();
        for (int i = 0; i < n; i++) {
            c.zk.create(dir + "/t" + i, Ctx.b("p" + i), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                    (rc, path, cb, name) -> done.add(cb + " " + rc + " " + name), i);
        }
        for (int i = 0; i < n; i++) {
            Ctx.checkEq(i + " 0 " + dir + "/t" + i, Ctx.next(done, "create callback " + i), "create callback in request order");
        }

        ctx.step = n + " async getData with watches";
        for (int i = 0; i < n; i++) {
            c.zk.getData(dir + "/t" + i, true, (rc, path, cb, data, stat) ->
                    done.add(cb + " " + rc + " " + Ctx.s(data) + " v" + stat.getVersion()), i);
        }
        c.zk.getData(dir + "/missing", false, (rc, path, cb, data, stat) -> done.add("missing " + rc), null);
        for (int i = 0; i < n; i++) {
            Ctx.checkEq(i + " 0 p" + i + " v0", Ctx.next(done, "getData callback " + i), "getData callback in request order");
        }
        Ctx.checkEq("missing " + Code.NONODE.intValue(), Ctx.next(done, "getData callback of a missing node"), "callback");

        ctx.step = "one multi updates them all; every data watch fires";
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ops.add(Op.setData(dir + "/t" + i, Ctx.b("q" + i), 0));
        }
        c.zk.multi(ops);
        TreeSet<String> fired = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            fired.add(c.nextEvent("data watch event " + i));
        }
        Ctx.checkEq(n, fired.size(), "distinct data watch events");
        Ctx.check(fired.first().startsWith("NodeDataChanged " + dir + "/t"), "event " + fired.first());
    }
}
