using System.Runtime.InteropServices;
using System.Text;
using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Kafka;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock cluster, started through P/Invoke. It speaks the real
/// Kafka protocol on loopback ports, so every client in the project talks to it exactly as to a real broker.
/// Known limits (librdkafka 2.16): each partition keeps only ~5 MiB or 100k batches and drops older ones (and, with
/// <c>trimConsumed</c>, what every committing group has consumed: EmbeddedBroker.Retention.cs); idempotent-producer
/// retries are not deduplicated, so consumers must be idempotent by id.
/// </summary>
public sealed unsafe partial class EmbeddedBroker : IDisposable
{
    private const int ProducerType = 0;
    private IntPtr _handle;
    private IntPtr _cluster;

    private EmbeddedBroker(IntPtr handle, IntPtr cluster, string bootstrap, int brokers)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = bootstrap;
        Brokers = brokers;
    }

    public string BootstrapServers { get; }

    public int Brokers { get; }

    /// <summary>Path of the librdkafka file the mock cluster runs in (the one Confluent.Kafka loaded).</summary>
    public static string LibraryPath => LibrdkafkaNative.Api.LibraryPath;

    /// <summary>The consumer group session timeout of the embedded broker (KIP-848 groups).</summary>
    public const int GroupSessionTimeoutMs = 6_000;

    public const int GroupHeartbeatIntervalMs = 1_000;

    /// <param name="trimConsumed">
    /// Drop batches every committing group has consumed (see <see cref="TrimsConsumed"/>): without it the mock's fetch
    /// cost grows with everything it retains.
    /// </param>
    public static EmbeddedBroker Start(int brokers = 3, int partitions = 6, IEnumerable<string>? topics = null, bool trimConsumed = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var api = LibrdkafkaNative.Api;
        var conf = api.ConfNew();
        Span<byte> err = stackalloc byte[512];
        SetConf(api, conf, "client.id", "fraudstream-embedded-broker", err);
        // The mock cluster needs a host handle; it logs through it, so keep it quiet.
        SetConf(api, conf, "log_level", "3", err);
        IntPtr handle;
        fixed (byte* errPtr = err)
        {
            handle = api.New(ProducerType, conf, errPtr, (nuint)err.Length);
        }

        if (handle == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + ReadError(err));
        }

        var cluster = api.MockClusterNew(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            api.Destroy(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        // A member that stops heartbeating (a killed instance) gives up its partitions after 6 s instead of Kafka's
        // 45 s default, so a failover is seen within a demo or a test.
        if (api.MockSetGroupConsumerSessionTimeoutMs != null && api.MockSetGroupConsumerHeartbeatIntervalMs != null)
        {
            api.MockSetGroupConsumerHeartbeatIntervalMs(cluster, GroupHeartbeatIntervalMs);
            api.MockSetGroupConsumerSessionTimeoutMs(cluster, GroupSessionTimeoutMs);
        }

        var bootstrap = Marshal.PtrToStringUTF8(api.MockClusterBootstraps(cluster))
            ?? throw new InvalidOperationException("mock cluster returned no bootstrap address");
        var layoutKnown = LayoutKnown();
        var broker = new EmbeddedBroker(handle, cluster, bootstrap, brokers) { _layoutMatches = layoutKnown, TrimsConsumed = trimConsumed && layoutKnown };
        foreach (var topic in topics ?? Topics.All)
        {
            broker.CreateTopic(topic, partitions, Math.Min(brokers, 3));
        }

        return broker;
    }

    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
        var api = LibrdkafkaNative.Api;
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        int code;
        fixed (byte* topic = bytes)
        {
            code = api.MockTopicCreate(_cluster, topic, partitions, replicationFactor);
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"creating topic '{name}' failed: {Marshal.PtrToStringUTF8(api.ErrToStr(code))}");
        }

        TrackForTrimming(name, partitions);
    }

    public void Dispose()
    {
        var api = LibrdkafkaNative.Api;
        StopTrimming();
        if (_cluster != IntPtr.Zero)
        {
            api.MockClusterDestroy(_cluster);
            _cluster = IntPtr.Zero;
        }

        if (_handle != IntPtr.Zero)
        {
            api.Destroy(_handle);
            _handle = IntPtr.Zero;
        }
    }

    private static void SetConf(LibrdkafkaNative.Exports api, IntPtr conf, string name, string value, Span<byte> err)
    {
        var n = Encoding.UTF8.GetBytes(name + "\0");
        var v = Encoding.UTF8.GetBytes(value + "\0");
        int result;
        fixed (byte* np = n, vp = v, ep = err)
        {
            result = api.ConfSet(conf, np, vp, ep, (nuint)err.Length);
        }

        if (result != 0)
        {
            throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: {ReadError(err)}");
        }
    }

    private static string ReadError(ReadOnlySpan<byte> err)
    {
        var end = err.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? err : err[..end]);
    }
}
