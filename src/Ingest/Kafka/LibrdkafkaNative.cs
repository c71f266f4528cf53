using System.Runtime.InteropServices;
using Confluent.Kafka;
using FraudStream.Core.Interop;

namespace FraudStream.Ingest.Kafka;

/// <summary>
/// Entry points of librdkafka's mock cluster, resolved in the very library file Confluent.Kafka has
/// loaded (on Debian that is the bundled <c>centos8-librdkafka.so</c>, since the default build needs
/// libsasl2.so.3). Binding to another copy would create a second, incompatible librdkafka instance.
/// </summary>
internal static unsafe class LibrdkafkaNative
{
    private static readonly Lazy<Exports> Functions = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    public static Exports Api => Functions.Value;

    internal sealed class Exports
    {
        public required string LibraryPath { get; init; }
        public required delegate* unmanaged<int> Version { get; init; }
        public required delegate* unmanaged<IntPtr> ConfNew { get; init; }
        public required delegate* unmanaged<IntPtr, byte*, byte*, byte*, nuint, int> ConfSet { get; init; }
        public required delegate* unmanaged<int, IntPtr, byte*, nuint, IntPtr> New { get; init; }
        public required delegate* unmanaged<IntPtr, void> Destroy { get; init; }
        public required delegate* unmanaged<IntPtr, int, IntPtr> MockClusterNew { get; init; }
        public required delegate* unmanaged<IntPtr, void> MockClusterDestroy { get; init; }
        public required delegate* unmanaged<IntPtr, IntPtr> MockClusterBootstraps { get; init; }
        public required delegate* unmanaged<IntPtr, byte*, int, int, int> MockTopicCreate { get; init; }
        public required delegate* unmanaged<int, IntPtr> ErrToStr { get; init; }
        public required delegate* unmanaged<IntPtr, int, int> MockBrokerSetDown { get; init; }
        public required delegate* unmanaged<IntPtr, int, int> MockBrokerSetUp { get; init; }
        public required delegate* unmanaged<IntPtr, int, int, int> MockBrokerSetRtt { get; init; }
        public required delegate* unmanaged<IntPtr, short, nuint, int*, void> MockPushRequestErrorsArray { get; init; }
        public required delegate* unmanaged<IntPtr, byte*, int, int, int> MockPartitionSetLeader { get; init; }
        public required delegate* unmanaged<IntPtr, byte*, byte*, int, int> MockCoordinatorSet { get; init; }

        /// <summary>KIP-848 group session timeout and heartbeat interval (absent from older librdkafka: null).</summary>
        public required delegate* unmanaged<IntPtr, int, void> MockSetGroupConsumerSessionTimeoutMs { get; init; }

        public required delegate* unmanaged<IntPtr, int, void> MockSetGroupConsumerHeartbeatIntervalMs { get; init; }
    }

    private static Exports Resolve()
    {
        // Make Confluent.Kafka load its librdkafka first, then find that exact file in our address space.
        Library.Load();
        var path = MappedLibraries.Find(static name => name.Contains("librdkafka", StringComparison.Ordinal) && name.EndsWith(".so", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("librdkafka is not mapped into this process after Confluent.Kafka loaded it");
        var handle = NativeLibrary.Load(path);
        return new Exports
        {
            LibraryPath = path,
            Version = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "rd_kafka_version"),
            ConfNew = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(handle, "rd_kafka_conf_new"),
            ConfSet = (delegate* unmanaged<IntPtr, byte*, byte*, byte*, nuint, int>)NativeLibrary.GetExport(handle, "rd_kafka_conf_set"),
            New = (delegate* unmanaged<int, IntPtr, byte*, nuint, IntPtr>)NativeLibrary.GetExport(handle, "rd_kafka_new"),
            Destroy = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(handle, "rd_kafka_destroy"),
            MockClusterNew = (delegate* unmanaged<IntPtr, int, IntPtr>)NativeLibrary.GetExport(handle, "rd_kafka_mock_cluster_new"),
            MockClusterDestroy = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(handle, "rd_kafka_mock_cluster_destroy"),
            MockClusterBootstraps = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(handle, "rd_kafka_mock_cluster_bootstraps"),
            MockTopicCreate = (delegate* unmanaged<IntPtr, byte*, int, int, int>)NativeLibrary.GetExport(handle, "rd_kafka_mock_topic_create"),
            ErrToStr = (delegate* unmanaged<int, IntPtr>)NativeLibrary.GetExport(handle, "rd_kafka_err2str"),
            MockBrokerSetDown = (delegate* unmanaged<IntPtr, int, int>)NativeLibrary.GetExport(handle, "rd_kafka_mock_broker_set_down"),
            MockBrokerSetUp = (delegate* unmanaged<IntPtr, int, int>)NativeLibrary.GetExport(handle, "rd_kafka_mock_broker_set_up"),
            MockBrokerSetRtt = (delegate* unmanaged<IntPtr, int, int, int>)NativeLibrary.GetExport(handle, "rd_kafka_mock_broker_set_rtt"),
            MockPushRequestErrorsArray = (delegate* unmanaged<IntPtr, short, nuint, int*, void>)NativeLibrary.GetExport(handle, "rd_kafka_mock_push_request_errors_array"),
            MockPartitionSetLeader = (delegate* unmanaged<IntPtr, byte*, int, int, int>)NativeLibrary.GetExport(handle, "rd_kafka_mock_partition_set_leader"),
            MockCoordinatorSet = (delegate* unmanaged<IntPtr, byte*, byte*, int, int>)NativeLibrary.GetExport(handle, "rd_kafka_mock_coordinator_set"),
            MockSetGroupConsumerSessionTimeoutMs = (delegate* unmanaged<IntPtr, int, void>)Optional(handle, "rd_kafka_mock_set_group_consumer_session_timeout_ms"),
            MockSetGroupConsumerHeartbeatIntervalMs = (delegate* unmanaged<IntPtr, int, void>)Optional(handle, "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms"),
        };
    }

    private static IntPtr Optional(IntPtr handle, string name) => NativeLibrary.TryGetExport(handle, name, out var address) ? address : IntPtr.Zero;
}
