package dev.shallow.spark;

import dev.shallow.ShallowException;
import dev.shallow.cluster.RemoteFiles;
import dev.shallow.io.AtomicFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * {@link RemoteFiles} through Hadoop's {@link FileSystem} API (Spark brings the client; a scheme's connector, such as
 * hadoop-aws for s3a, must be on the classpath). The Hadoop configuration is the classpath's (core-site.xml) with the Spark
 * conf's {@code spark.hadoop.*} entries over it, as Spark builds it. A URI is copied into {@code CACHE/KEY/NAME}, KEY the
 * sha256 prefix of the URI and each file's relative path, length and modification time, NAME the URI's last component.
 */
public final class HadoopFiles implements RemoteFiles {
    private static final String SPARK_HADOOP = "spark.hadoop.";

    @Override
    public Path fetch(URI uri, Path cache) {
        try {
            FileSystem fs = FileSystem.get(uri, configuration());
            org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
            FileStatus top = fs.getFileStatus(root);
            List<FileStatus> files = top.isDirectory() ? filesUnder(fs, root) : List.of(top);
            String name = root.getName().isEmpty() ? "model" : root.getName();
            Path entry = cache.resolve(key(uri, top, files)), copy = entry.resolve(name);
            if (Files.isDirectory(entry)) return copy;
            try {
                AtomicFiles.writeDirectory(entry, false, tmp -> {
                    for (FileStatus f : files) {
                        Path local = top.isDirectory() ? tmp.resolve(name).resolve(relative(top, f)) : tmp.resolve(name);
                        Files.createDirectories(local.getParent());
                        try (InputStream in = fs.open(f.getPath())) {
                            Files.copy(in, local);
                        }
                    }
                });
            } catch (ShallowException e) {
                if (!Files.isDirectory(entry)) throw e; // else another process on this machine copied it first
            }
            return copy;
        } catch (IOException e) {
            throw new ShallowException(uri + ": cannot read through Hadoop's FileSystem: " + firstLine(e)
                    + (e instanceof org.apache.hadoop.fs.UnsupportedFileSystemException ? " (is the scheme's connector on the classpath?)" : ""), e);
        }
    }

    private static Configuration configuration() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (Tuple2<String, String> e : env.conf().getAll()) if (e._1().startsWith(SPARK_HADOOP)) conf.set(e._1().substring(SPARK_HADOOP.length()), e._2());
        }
        return conf;
    }

    /** Every file below {@code dir}, in path order. */
    private static List<FileStatus> filesUnder(FileSystem fs, org.apache.hadoop.fs.Path dir) throws IOException {
        List<FileStatus> files = new ArrayList<>();
        for (FileStatus f : fs.listStatus(dir)) {
            if (f.isDirectory()) files.addAll(filesUnder(fs, f.getPath()));
            else files.add(f);
        }
        files.sort(Comparator.comparing(f -> f.getPath().toString()));
        return files;
    }

    private static String relative(FileStatus root, FileStatus file) {
        return root.getPath().toUri().relativize(file.getPath().toUri()).getPath();
    }

    /** sha256 prefix of the URI and, per file, its path below the URI, length and modification time. */
    private static String key(URI uri, FileStatus top, List<FileStatus> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(uri.toString().getBytes(StandardCharsets.UTF_8));
            for (FileStatus f : files) {
                String line = "\n" + (top.isDirectory() ? relative(top, f) : "") + "\t" + f.getLen() + "\t" + f.getModificationTime();
                sha.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
