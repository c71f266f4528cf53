using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FraudStream.Scoring.Runtime;

/// <summary>
/// An ONNX Runtime session with everything pre-allocated: pinned host buffers, one OrtValue view and one
/// IOBinding per batch bucket (powers of two up to the maximum batch), so a call copies rows in, runs, and
/// copies probabilities out without allocating. Rows beyond the request in a bucket are left over from
/// earlier calls; their results are ignored.
/// </summary>
/// <remarks>
/// On CUDA without graphs the input is re-bound on every call (ORT copies a bound host input to the device at
/// bind time). With CUDA graphs the inputs and outputs live in fixed device buffers that <see cref="CudaRuntime"/>
/// allocates and copies into and out of (from page-locked host buffers), and each bucket replays its own
/// captured graph (<c>gpu_graph_id</c>).
/// </remarks>
public sealed unsafe class OrtModelScorer : IModelScorer
{
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly int[] _buckets;
    private readonly Bucket[] _bucketState;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly bool _rebindInput;
    private readonly bool _cudaGraphs;
    private readonly List<IDisposable> _owned = [];
    private readonly IntPtr _deviceInput;
    private readonly IntPtr _deviceOutput;
    private readonly bool _hostRegistered;
    private bool _disposed;

    internal OrtModelScorer(InferenceSession session, string device, bool cudaGraphs, string inputName, string outputName,
        int featureCount, int maxBatchSize, string modelVersion, string graphKind)
    {
        _session = session;
        _inputName = inputName;
        Device = device;
        ModelVersion = modelVersion;
        FeatureCount = featureCount;
        _cudaGraphs = cudaGraphs;
        _rebindInput = device == "cuda" && !cudaGraphs;
        Description = $"{graphKind} on {device}{(cudaGraphs ? " with CUDA graphs" : "")}";
        _buckets = BucketsFor(maxBatchSize);
        MaxBatchSize = maxBatchSize;
        _input = GC.AllocateArray<float>(maxBatchSize * featureCount, pinned: true);
        _output = GC.AllocateArray<float>(maxBatchSize, pinned: true);

        var outputRank = session.OutputMetadata[outputName].Dimensions.Length;
        OrtMemoryInfo? cudaMemory = null;
        if (cudaGraphs)
        {
            // One device buffer each way at a fixed address: every bucket's graph is captured against it.
            cudaMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
            _owned.Add(cudaMemory);
            _deviceInput = CudaRuntime.Malloc((long)maxBatchSize * featureCount * sizeof(float));
            _deviceOutput = CudaRuntime.Malloc((long)maxBatchSize * sizeof(float));
            _hostRegistered = CudaRuntime.TryRegisterHost(InputPointer, (long)_input.Length * sizeof(float))
                && CudaRuntime.TryRegisterHost(OutputPointer, (long)_output.Length * sizeof(float));
        }

        _bucketState = new Bucket[_buckets.Length];
        for (var i = 0; i < _buckets.Length; i++)
        {
            var rows = _buckets[i];
            var bucket = new Bucket { Rows = rows, Binding = session.CreateIoBinding(), RunOptions = new RunOptions() };
            long[] inputShape = [rows, featureCount];
            long[] outputShape = outputRank == 2 ? [rows, 1] : [rows];
            bucket.HostInput = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                new Memory<float>(_input, 0, rows * featureCount), inputShape);
            bucket.HostOutput = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                new Memory<float>(_output, 0, rows), outputShape);
            if (cudaGraphs)
            {
                bucket.RunOptions.AddRunConfigEntry("gpu_graph_id", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                bucket.DeviceInput = OrtValue.CreateTensorValueWithData(cudaMemory!, TensorElementType.Float, inputShape,
                    _deviceInput, (long)rows * featureCount * sizeof(float));
                bucket.DeviceOutput = OrtValue.CreateTensorValueWithData(cudaMemory!, TensorElementType.Float, outputShape,
                    _deviceOutput, (long)rows * sizeof(float));
                bucket.Binding.BindInput(inputName, bucket.DeviceInput);
                bucket.Binding.BindOutput(outputName, bucket.DeviceOutput);
            }
            else
            {
                bucket.Binding.BindInput(inputName, bucket.HostInput);
                bucket.Binding.BindOutput(outputName, bucket.HostOutput);
            }

            BindPassThroughInputs(session, inputName, bucket, rows);
            _bucketState[i] = bucket;
        }
    }

    public string Device { get; }

    public string ModelVersion { get; }

    public int FeatureCount { get; }

    public int MaxBatchSize { get; }

    public string Description { get; }

    public IReadOnlyList<int> Buckets => _buckets;

    private float* InputPointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_input));

    private float* OutputPointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_output));

    public void Score(ReadOnlySpan<float> featuresRowMajor, int rows, Span<float> probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (featuresRowMajor.Length < rows * FeatureCount || probabilities.Length < rows)
        {
            throw new ArgumentException("features or probabilities shorter than rows require");
        }

        var done = 0;
        while (done < rows)
        {
            var chunk = Math.Min(rows - done, MaxBatchSize);
            var bucket = _bucketState[BucketIndex(chunk)];
            featuresRowMajor.Slice(done * FeatureCount, chunk * FeatureCount).CopyTo(_input);
            Run(bucket, chunk);
            _output.AsSpan(0, chunk).CopyTo(probabilities.Slice(done, chunk));
            done += chunk;
        }
    }

    /// <summary>Runs every bucket once (three times with CUDA graphs: plain, capture, replay) so that no call pays for it later.</summary>
    public void WarmUp()
    {
        foreach (var bucket in _bucketState)
        {
            // With CUDA graphs ORT runs a graph id plainly first, captures on a later run, then replays.
            var runs = _cudaGraphs ? 3 : 1;
            for (var i = 0; i < runs; i++)
            {
                Run(bucket, bucket.Rows);
            }
        }
    }

    /// <summary>Median microseconds of <paramref name="iterations"/> calls at <paramref name="rows"/> rows.</summary>
    public double MeasureMedianMicros(int rows, int iterations)
    {
        rows = Math.Min(rows, MaxBatchSize);
        var bucket = _bucketState[BucketIndex(rows)];
        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Run(bucket, rows);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(samples);
        return samples[iterations / 2];
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var bucket in _bucketState)
        {
            bucket?.Dispose();
        }

        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        if (_hostRegistered)
        {
            CudaRuntime.UnregisterHost(InputPointer);
            CudaRuntime.UnregisterHost(OutputPointer);
        }

        CudaRuntime.Free(_deviceInput);
        CudaRuntime.Free(_deviceOutput);

        _session.Dispose();
    }

    public static int[] BucketsFor(int maxBatchSize)
    {
        var buckets = new List<int>();
        for (var size = 1; size < maxBatchSize; size *= 2)
        {
            buckets.Add(size);
        }

        buckets.Add(maxBatchSize);
        return [.. buckets];
    }

    private int BucketIndex(int rows)
    {
        var i = 0;
        while (_buckets[i] < rows)
        {
            i++;
        }

        return i;
    }

    private void Run(Bucket bucket, int rows)
    {
        if (_rebindInput)
        {
            bucket.Binding.BindInput(_inputName, bucket.HostInput);
        }

        if (_cudaGraphs)
        {
            // Run synchronises the provider's stream before it returns, and cudaMemcpy blocks, so the three are ordered.
            CudaRuntime.CopyToDevice(_deviceInput, InputPointer, (long)rows * FeatureCount * sizeof(float));
            _session.RunWithBinding(bucket.RunOptions, bucket.Binding);
            CudaRuntime.CopyToHost(OutputPointer, _deviceOutput, (long)rows * sizeof(float));
        }
        else
        {
            _session.RunWithBinding(bucket.RunOptions, bucket.Binding);
        }
    }

    /// <summary>ML.NET's export also takes the columns it passes through (e.g. Label); bind zeros for them.</summary>
    private static void BindPassThroughInputs(InferenceSession session, string featuresInput, Bucket bucket, int rows)
    {
        foreach (var (name, metadata) in session.InputMetadata)
        {
            if (name == featuresInput)
            {
                continue;
            }

            var shape = new long[metadata.Dimensions.Length];
            long size = 1;
            for (var d = 0; d < shape.Length; d++)
            {
                shape[d] = d == 0 ? rows : Math.Max(1, metadata.Dimensions[d]);
                size *= shape[d];
            }

            OrtValue value = metadata.ElementDataType switch
            {
                TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory(new bool[size], shape),
                TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(new float[size], shape),
                _ => throw new ModelPackageException(ModelPackageProblem.Unsupported,
                    $"model input '{name}' of type {metadata.ElementDataType} is neither the features nor a pass-through column"),
            };
            bucket.Extra.Add(value);
            bucket.Binding.BindInput(name, value);
        }
    }

    private sealed class Bucket : IDisposable
    {
        public int Rows { get; init; }

        public required OrtIoBinding Binding { get; init; }

        public required RunOptions RunOptions { get; init; }

        public OrtValue HostInput { get; set; } = null!;

        public OrtValue HostOutput { get; set; } = null!;

        public OrtValue? DeviceInput { get; set; }

        public OrtValue? DeviceOutput { get; set; }

        public List<OrtValue> Extra { get; } = [];

        public void Dispose()
        {
            Binding.Dispose();
            RunOptions.Dispose();
            HostInput.Dispose();
            HostOutput.Dispose();
            DeviceInput?.Dispose();
            DeviceOutput?.Dispose();
            foreach (var value in Extra)
            {
                value.Dispose();
            }
        }
    }
}
