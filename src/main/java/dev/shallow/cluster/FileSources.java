package dev.shallow.cluster;

import dev.shallow.ShallowException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Where a model or a data file is read from: a local path, or a URI of a distributed filesystem whose files are copied once
 * into this machine's cache ({@link RemoteFiles}) and read from there. Remembers which local copies came from which URI, so
 * that cluster tasks are given the URI (each executor then fetches its own copy) rather than the driver's local path.
 */
public final class FileSources {
    /** SCHEME:// with a scheme of two or more characters (one letter would be a Windows drive). */
    private static final Pattern URI_SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]+)://.*");
    private static final Map<Path, String> FETCHED = new ConcurrentHashMap<>();

    private FileSources() {
    }

    /** True when {@code location} is a URI with a scheme other than {@code file}. */
    public static boolean isRemote(String location) {
        var m = URI_SCHEME.matcher(location);
        return m.matches() && !m.group(1).equalsIgnoreCase("file");
    }

    /**
     * The local path to read {@code location} from: itself, the path of a {@code file:} URI, or the cached copy of a remote
     * URI (fetched now unless the cache holds its current version). A remote URI needs the Spark module (--spark).
     */
    public static Path local(String location) {
        if (!location.regionMatches(true, 0, "file:", 0, 5) && !isRemote(location)) return Path.of(location);
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new ShallowException(location + ": not a valid URI (" + e.getReason() + ")");
        }
        if (!isRemote(location)) {
            try {
                return Path.of(uri);
            } catch (IllegalArgumentException e) {
                throw new ShallowException(location + ": not a file path (" + e.getMessage() + ")");
            }
        }
        for (RemoteFiles files : ServiceLoader.load(RemoteFiles.class)) {
            Path copy = files.fetch(uri, cache());
            FETCHED.put(copy.toAbsolutePath(), location);
            return copy;
        }
        throw new ShallowException(location + ": a URI is read through Hadoop's FileSystem, in --spark runs only (the Spark module, "
                + "bash scripts/build_spark.sh, is then on the classpath)");
    }

    /** What a cluster task is given for the model read from {@code local}: the URI it was fetched from, else its absolute path. */
    public static String shipped(Path local) {
        Path abs = local.toAbsolutePath();
        return FETCHED.getOrDefault(abs, abs.toString());
    }

    /** How the model read from {@code local} is named in outputs: the URI it was fetched from, else the path as given. */
    public static String described(Path local) {
        return FETCHED.getOrDefault(local.toAbsolutePath(), local.toString());
    }

    /** The cache of fetched copies: -Dshallow.remote.cache, else shallow-remote-cache in the JVM's temporary directory. */
    static Path cache() {
        String dir = System.getProperty("shallow.remote.cache");
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("java.io.tmpdir"), "shallow-remote-cache");
    }
}
