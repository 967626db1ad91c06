package dev.shallow.spark;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/** For tests: the local disk under the scheme testfs:// (testfs:///ABSOLUTE/PATH), counting the files it opens. */
public final class CountingFileSystem extends RawLocalFileSystem {
    static final AtomicInteger OPENED = new AtomicInteger();

    @Override
    public URI getUri() {
        return URI.create("testfs:///");
    }

    @Override
    public String getScheme() {
        return "testfs";
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        OPENED.incrementAndGet();
        return super.open(f, bufferSize);
    }
}
