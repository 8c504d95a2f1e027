package org.citegraph.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.api.impl.index.LuceneSettings;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * A local Neo4j 5.26 community server without Docker: the embedded DBMS with its Bolt connector
 * on 127.0.0.1 and no HTTP. Started by neo4j.sh next to the pom, which waits for the READY line
 * this prints to stdout (its log) once the DBMS is up, Bolt is listening and auth is set.
 *
 * <pre>Launcher --home DIR --port N [--pagecache 512m]</pre>
 *
 * Auth is off unless NEO4J_PASSWORD is set in the environment (never on the command line, which
 * other users can read): then it is on and the password of NEO4J_USER (default neo4j) is set to it
 * on every start, the way the neo4j image's NEO4J_AUTH does on a new store. SIGTERM (or any normal
 * JVM exit) shuts the DBMS down cleanly through a shutdown hook.
 */
public final class Launcher {
    private static final String TAG = "[citegraph-neo4j] ";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        int port = BoltConnector.DEFAULT_PORT;
        String pageCache = "512m";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--home" -> { home = Path.of(require(args[i], value)); i++; }
                case "--port" -> { port = Integer.parseInt(require(args[i], value)); i++; }
                case "--pagecache" -> { pageCache = require(args[i], value); i++; }
                default -> fail("unknown argument: " + args[i]);
            }
        }
        if (home == null) {
            fail("--home DIR is required");
        }
        home = home.toAbsolutePath().normalize();
        Files.createDirectories(home);

        String password = System.getenv("NEO4J_PASSWORD");
        boolean auth = password != null && !password.isEmpty();
        String user = System.getenv().getOrDefault("NEO4J_USER", "neo4j");
        if (user.isEmpty()) {
            user = "neo4j";
        }

        SocketAddress bolt = new SocketAddress("127.0.0.1", port);
        say("starting Neo4j " + neo4jVersion() + " home=" + home + " bolt=" + bolt + " auth="
                + (auth ? "on (user " + user + ")" : "off") + " pagecache=" + pageCache
                + " maxheap=" + ByteUnit.bytesToString(Runtime.getRuntime().maxMemory()));

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setUserLogProvider(new Log4jLogProvider(System.out, Level.INFO))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, bolt)
                .setConfig(BoltConnector.advertised_address, bolt)
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                // a dev/test server: keep the transaction logs small instead of "2 days 2G"
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "100M size")
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5))
                // Bolt waits up to 5 s per Netty event loop group on shutdown even with no connection
                // left; 1 s makes a stop take ~2 s (two WARN lines "Termination of ... event loop
                // group has exceeded maximum permitted duration" in debug.log are then expected)
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                // A vector query searches every Lucene segment of the index in turn: with the
                // default merging, 100k passages written in 390 transactions kept 102 segments.
                // Merging two at a time with no size cap made k=100 queries 3x faster on 20k
                // synthetic passages (server median 367 -> 120 ms, paired, load 13) for bulk
                // writes 1.5x slower (167 -> 257 s, no model)
                .setConfig(LuceneSettings.vector_standard_merge_factor, 2)
                .setConfig(LuceneSettings.lucene_max_merge, 2048.0);

        DatabaseManagementService service;
        try {
            service = builder.build();
        } catch (Throwable e) {
            say("FAILED to start: " + rootMessage(e));
            e.printStackTrace(System.out);
            System.exit(1);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            say("shutting down");
            try {
                service.shutdown();
                say("STOPPED");
            } catch (Throwable e) {
                say("shutdown failed: " + rootMessage(e));
            } finally {
                stopped.countDown();
            }
        }, "citegraph-neo4j-shutdown"));

        try {
            if (auth) {
                setPassword(service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), user, password);
            }
            // The default database is up and answering before we say so.
            service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME)
                    .executeTransactionally("RETURN 1");
        } catch (Throwable e) {
            say("FAILED to start: " + rootMessage(e));
            System.exit(1); // runs the shutdown hook
            return;
        }

        say("READY bolt://" + bolt + " pid=" + ProcessHandle.current().pid());
        stopped.await();
    }

    /**
     * Sets the user's password in the system database: ALTER USER for an existing user (neo4j
     * always exists; its stock password "neo4j" would demand a change), CREATE USER for another
     * name. Setting the password it already has is refused by Neo4j, and is fine here.
     */
    private static void setPassword(GraphDatabaseService system, String user, String password) {
        boolean exists = system.executeTransactionally("SHOW USERS YIELD user WHERE user = $user RETURN count(*) AS n",
                Map.of("user", user), result -> ((Number) result.next().get("n")).longValue() > 0);
        String name = "`" + user.replace("`", "``") + "`";
        try {
            system.executeTransactionally((exists ? "ALTER USER " : "CREATE USER ") + name
                    + " SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
            say("password of user " + user + (exists ? " set" : " created"));
        } catch (RuntimeException e) {
            String message = String.valueOf(rootMessage(e));
            if (exists && message.contains("cannot be the same")) {
                say("password of user " + user + " unchanged");
            } else {
                throw e;
            }
        }
    }

    private static String neo4jVersion() {
        String version = DatabaseManagementService.class.getPackage().getImplementationVersion();
        return version != null ? version : "5.26";
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            if (root.getMessage() != null && !text.toString().contains(root.getMessage())) {
                text.append(" <- ").append(root.getMessage());
            }
        }
        return text.toString();
    }

    private static String require(String flag, String value) {
        if (value == null) {
            fail(flag + " needs a value");
        }
        return value;
    }

    private static void say(String line) {
        System.out.println(TAG + line);
        System.out.flush();
    }

    private static void fail(String message) {
        System.err.println(TAG + message);
        System.exit(2);
    }
}
