package dev.shallow.tensor;

import dev.shallow.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * oneDNN's C API through FFM (no JNI): the libdnnl.so.3 that Maven's org.bytedeco:dnnl (linux-x86_64)
 * bundles with its libgomp, and libOpenCL.so.1 from org.bytedeco:opencl, extracted once into a cache
 * directory (the system property shallow.onednn.dir, else ~/.cache/shallow/onednn-3.8.1) and loaded
 * with {@link SymbolLookup#libraryLookup}; libdnnl finds the other two beside it (its RUNPATH is $ORIGIN).
 * {@link #load()} returns null and says why in {@link #unavailable()} when the library is not in the
 * build, the platform is not Linux x86-64, or it does not load.
 */
final class OneDnn {
    static final String VERSION = "3.8.1";
    /** dnnl_data_type_t. */
    static final int BF16 = 2, F32 = 3;
    /** DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WEIGHTS. */
    static final int ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33;
    /** dnnl_cpu_isa_t of the AVX-512 cores with bf16 dot products (VDPBF16PS); AMX's are supersets of its bits. */
    static final int ISA_AVX512_CORE_BF16 = 0xe7;
    private static final String[] FILES = {
        "org/bytedeco/dnnl/linux-x86_64/libgomp.so.1",
        "org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1",
        "org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3",
    };
    private static final AddressLayout ADDRESS = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private static OneDnn instance;
    private static String unavailable;
    private static boolean tried;

    final MethodHandle memoryDescCreate, memoryDescDestroy, matmulDescCreate, primitiveCreate, primitiveDescDestroy,
            primitiveDestroy, memoryCreate, memoryDestroy, execute, streamWait, setNumThreads;
    final MemorySegment engine, stream;
    /** dnnl_get_effective_cpu_isa(): the instruction set oneDNN's kernels use here. */
    final int isa;

    private OneDnn(SymbolLookup dnnl, SymbolLookup gomp) throws Throwable {
        Linker linker = Linker.nativeLinker();
        memoryDescCreate = handle(linker, dnnl, "dnnl_memory_desc_create_with_strides", INT, ADDRESS, INT, ADDRESS, INT, ADDRESS);
        memoryDescDestroy = handle(linker, dnnl, "dnnl_memory_desc_destroy", INT, ADDRESS);
        matmulDescCreate = handle(linker, dnnl, "dnnl_matmul_primitive_desc_create", INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        primitiveCreate = handle(linker, dnnl, "dnnl_primitive_create", INT, ADDRESS, ADDRESS);
        primitiveDescDestroy = handle(linker, dnnl, "dnnl_primitive_desc_destroy", INT, ADDRESS);
        primitiveDestroy = handle(linker, dnnl, "dnnl_primitive_destroy", INT, ADDRESS);
        memoryCreate = handle(linker, dnnl, "dnnl_memory_create", INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        memoryDestroy = handle(linker, dnnl, "dnnl_memory_destroy", INT, ADDRESS);
        execute = handle(linker, dnnl, "dnnl_primitive_execute", INT, ADDRESS, ADDRESS, INT, ADDRESS);
        streamWait = handle(linker, dnnl, "dnnl_stream_wait", INT, ADDRESS);
        setNumThreads = linker.downcallHandle(gomp.find("omp_set_num_threads").orElseThrow(), FunctionDescriptor.ofVoid(INT));
        isa = (int) linker.downcallHandle(dnnl.find("dnnl_get_effective_cpu_isa").orElseThrow(), FunctionDescriptor.of(INT)).invokeExact();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("dnnl_engine_create", (int) handle(linker, dnnl, "dnnl_engine_create", INT, ADDRESS, INT, LONG).invokeExact(out, 1, 0L)); // dnnl_cpu
            engine = out.get(ADDRESS, 0);
            check("dnnl_stream_create", (int) handle(linker, dnnl, "dnnl_stream_create", INT, ADDRESS, ADDRESS, INT).invokeExact(out, engine, 1)); // in order
            stream = out.get(ADDRESS, 0);
        }
    }

    /** The loaded library, or null (then {@link #unavailable()} says why); tried once per process. */
    static synchronized OneDnn load() {
        if (tried) return instance;
        tried = true;
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT), arch = System.getProperty("os.arch");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            unavailable = "no oneDNN build for " + os + "/" + arch;
            return null;
        }
        try {
            Path dir = cacheDir();
            for (String file : FILES) extract(file, dir);
            // OpenMP threads sleep as soon as a product ends instead of spinning against Shallow's own workers
            MethodHandle setenv = Linker.nativeLinker().downcallHandle(Linker.nativeLinker().defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(INT, ADDRESS, ADDRESS, INT));
            try (Arena arena = Arena.ofConfined()) {
                int ignored = (int) setenv.invokeExact(arena.allocateFrom("OMP_WAIT_POLICY"), arena.allocateFrom("PASSIVE"), 0);
            }
            SymbolLookup gomp = SymbolLookup.libraryLookup(dir.resolve("libgomp.so.1"), Arena.global());
            instance = new OneDnn(SymbolLookup.libraryLookup(dir.resolve("libdnnl.so.3"), Arena.global()), gomp);
        } catch (Throwable e) {
            unavailable = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        return instance;
    }

    /** Why {@link #load()} returned null (null if it did not). */
    static synchronized String unavailable() {
        return unavailable;
    }

    /** The instruction set name for info lines (avx512_core_bf16, avx512_core_amx, ...). */
    String isaName() {
        return switch (isa) {
            case 0x7 -> "avx2";
            case 0xf, 0x1f -> "avx2_vnni";
            case 0x27 -> "avx512_core";
            case 0x67 -> "avx512_core_vnni";
            case 0xe7 -> "avx512_core_bf16";
            case 0x1ef -> "avx10_1_512";
            case 0xfef, 0x1fef -> "avx512_core_amx";
            default -> "isa 0x" + Integer.toHexString(isa);
        };
    }

    /** Whether bf16 products run on native bf16 instructions (AVX512_BF16 or AMX) rather than emulated. */
    boolean nativeBf16() {
        return (isa & ISA_AVX512_CORE_BF16) == ISA_AVX512_CORE_BF16;
    }

    /** A memory descriptor of a 2-D matrix with element strides (caller destroys it). */
    MemorySegment matrix(Arena arena, long rows, long cols, long rowStride, long colStride, int type) throws Throwable {
        MemorySegment out = arena.allocate(ADDRESS);
        MemorySegment dims = arena.allocate(LONG, 12), strides = arena.allocate(LONG, 12);
        dims.setAtIndex(LONG, 0, rows);
        dims.setAtIndex(LONG, 1, cols);
        strides.setAtIndex(LONG, 0, rowStride);
        strides.setAtIndex(LONG, 1, colStride);
        check("dnnl_memory_desc_create_with_strides", (int) memoryDescCreate.invokeExact(out, 2, dims, type, strides));
        return out.get(ADDRESS, 0);
    }

    /** Throws when a dnnl call did not return dnnl_success. */
    static void check(String call, int status) {
        if (status != 0) throw new IllegalStateException("oneDNN " + call + " failed with status " + status);
    }

    private static MethodHandle handle(Linker linker, SymbolLookup lib, String name, ValueLayout ret, ValueLayout... args) {
        return linker.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException("libdnnl.so.3 lacks " + name)),
                FunctionDescriptor.of(ret, args));
    }

    private static Path cacheDir() throws IOException {
        String set = System.getProperty("shallow.onednn.dir");
        Path dir = set != null ? Path.of(set) : Path.of(System.getProperty("user.home"), ".cache", "shallow", "onednn-" + VERSION);
        return Files.createDirectories(dir);
    }

    /** Copies a bundled file into dir unless a copy of the same size is there (through a temporary name, then moved into place). */
    private static void extract(String resource, Path dir) throws IOException {
        Path target = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        var url = OneDnn.class.getClassLoader().getResource(resource);
        if (url == null) throw new IOException(resource + " is not in the build (Maven's org.bytedeco:dnnl and :opencl, linux-x86_64)");
        long size = url.openConnection().getContentLengthLong();
        if (Files.isRegularFile(target) && Files.size(target) == size) return;
        AtomicFiles.write(target, tmp -> {
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        });
    }
}
