using System.Runtime.InteropServices;
using FraudStream.Core.Interop;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// The few CUDA runtime calls that CUDA graphs need from outside ONNX Runtime: device buffers at fixed
/// addresses and copies into and out of them. ORT 1.31's managed <c>OrtEnv.CopyTensors</c> only works for
/// execution providers registered as plugin libraries, which the CUDA provider appended to a session is not
/// ("Data transfer implementation between source and destination device was not found").
/// </summary>
/// <remarks>
/// Binds to the libcudart the CUDA provider already mapped into the process when there is one, so both share
/// one runtime; otherwise loads the CUDA 13 runtime by name. Both use the device's primary context.
/// </remarks>
internal static unsafe class CudaRuntime
{
    private const int MemcpyHostToDevice = 1;
    private const int MemcpyDeviceToHost = 2;
    private const uint HostRegisterPortable = 1;

    private static readonly Lazy<Exports?> Functions = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string? LibraryPath => Functions.Value?.LibraryPath;

    public static IntPtr Malloc(long bytes)
    {
        var api = Api;
        IntPtr pointer;
        Check(api.Malloc(&pointer, (nuint)bytes), "cudaMalloc");
        return pointer;
    }

    public static void Free(IntPtr pointer)
    {
        if (pointer != IntPtr.Zero && Functions.Value is { } api)
        {
            _ = api.Free(pointer);
        }
    }

    /// <summary>Page-locks a host range so copies DMA straight from it; false if the runtime refuses.</summary>
    public static bool TryRegisterHost(void* host, long bytes) =>
        Functions.Value is { } api && api.HostRegister(host, (nuint)bytes, HostRegisterPortable) == 0;

    public static void UnregisterHost(void* host)
    {
        if (Functions.Value is { } api)
        {
            _ = api.HostUnregister(host);
        }
    }

    public static void CopyToDevice(IntPtr device, void* host, long bytes) =>
        Check(Api.Memcpy((void*)device, host, (nuint)bytes, MemcpyHostToDevice), "cudaMemcpy to device");

    public static void CopyToHost(void* host, IntPtr device, long bytes) =>
        Check(Api.Memcpy(host, (void*)device, (nuint)bytes, MemcpyDeviceToHost), "cudaMemcpy to host");

    private static Exports Api => Functions.Value
        ?? throw new InvalidOperationException("the CUDA runtime (libcudart) is not available in this process");

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            var message = Marshal.PtrToStringUTF8(Api.GetErrorString(status)) ?? "unknown error";
            throw new InvalidOperationException($"{call} failed: {message} ({status})");
        }
    }

    private static Exports? Resolve()
    {
        var handle = IntPtr.Zero;
        string? path = MappedLibraries.Find(static name => name.StartsWith("libcudart.so", StringComparison.Ordinal));
        if (path is not null)
        {
            _ = NativeLibrary.TryLoad(path, out handle);
        }

        foreach (var name in (ReadOnlySpan<string>)["libcudart.so.13", "libcudart.so.12", "libcudart.so"])
        {
            if (handle != IntPtr.Zero)
            {
                break;
            }

            if (NativeLibrary.TryLoad(name, out handle))
            {
                path = name;
            }
        }

        if (handle == IntPtr.Zero)
        {
            return null;
        }

        return new Exports
        {
            LibraryPath = path!,
            Malloc = (delegate* unmanaged<IntPtr*, nuint, int>)NativeLibrary.GetExport(handle, "cudaMalloc"),
            Free = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(handle, "cudaFree"),
            Memcpy = (delegate* unmanaged<void*, void*, nuint, int, int>)NativeLibrary.GetExport(handle, "cudaMemcpy"),
            HostRegister = (delegate* unmanaged<void*, nuint, uint, int>)NativeLibrary.GetExport(handle, "cudaHostRegister"),
            HostUnregister = (delegate* unmanaged<void*, int>)NativeLibrary.GetExport(handle, "cudaHostUnregister"),
            GetErrorString = (delegate* unmanaged<int, IntPtr>)NativeLibrary.GetExport(handle, "cudaGetErrorString"),
        };
    }

    private sealed class Exports
    {
        public required string LibraryPath { get; init; }
        public required delegate* unmanaged<IntPtr*, nuint, int> Malloc { get; init; }
        public required delegate* unmanaged<IntPtr, int> Free { get; init; }
        public required delegate* unmanaged<void*, void*, nuint, int, int> Memcpy { get; init; }
        public required delegate* unmanaged<void*, nuint, uint, int> HostRegister { get; init; }
        public required delegate* unmanaged<void*, int> HostUnregister { get; init; }
        public required delegate* unmanaged<int, IntPtr> GetErrorString { get; init; }
    }
}
