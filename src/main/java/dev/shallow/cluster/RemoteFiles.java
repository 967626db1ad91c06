package dev.shallow.cluster;

import java.net.URI;
import java.nio.file.Path;

/**
 * Reads a file or directory at a URI of a distributed filesystem ({@code hdfs://}, {@code s3a://}, ...): the Spark
 * module's Hadoop {@code FileSystem}, found by {@link java.util.ServiceLoader}
 * (META-INF/services/dev.shallow.cluster.RemoteFiles). The core does not depend on Hadoop.
 */
public interface RemoteFiles {
    /**
     * A local copy of what is at {@code uri}, under {@code cache}: copied once (under a temporary name, then moved into place),
     * keyed by the URI and the length and modification time of every file, so a changed remote file is fetched again.
     * A scheme with no filesystem on the classpath, or an unreadable URI, is a one-line error naming the URI.
     */
    Path fetch(URI uri, Path cache);
}
