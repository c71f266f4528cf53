using System.Runtime.InteropServices;
using System.Text;

namespace FraudStream.Ingest.Kafka;

/// <summary>
/// Fault injection through the mock cluster's own hooks, for the fault suite: the clients see real protocol errors,
/// disconnects and leader moves, exactly as from a failing real cluster. Broker ids are 1..<see cref="Brokers"/>.
/// </summary>
public sealed unsafe partial class EmbeddedBroker
{
    /// <summary>Kafka protocol API keys the faults are aimed at.</summary>
    public static class ApiKeys
    {
        public const short Produce = 0;
        public const short Fetch = 1;
        public const short ListOffsets = 2;
        public const short Metadata = 3;
        public const short OffsetCommit = 8;
        public const short OffsetFetch = 9;
        public const short FindCoordinator = 10;
        public const short Heartbeat = 12;
        public const short ConsumerGroupHeartbeat = 68;
    }

    /// <summary>Kafka protocol error codes (rd_kafka_resp_err_t values above 0 are the broker's codes).</summary>
    public static class Errors
    {
        public const int NotLeaderForPartition = 6;
        public const int RequestTimedOut = 7;
        public const int NotCoordinator = 16;
        public const int NotEnoughReplicas = 19;
        public const int CoordinatorNotAvailable = 15;
        public const int MessageTooLarge = 10;
    }

    /// <summary>Disconnects broker <paramref name="brokerId"/> and refuses new connections until <see cref="BrokerUp"/>.</summary>
    public void BrokerDown(int brokerId) => Check(LibrdkafkaNative.Api.MockBrokerSetDown(LiveCluster(), brokerId), "broker down");

    public void BrokerUp(int brokerId) => Check(LibrdkafkaNative.Api.MockBrokerSetUp(LiveCluster(), brokerId), "broker up");

    /// <summary>Every broker down (an outage of the whole cluster), or up again.</summary>
    public void AllBrokers(bool up)
    {
        for (var id = 1; id <= Brokers; id++)
        {
            if (up)
            {
                BrokerUp(id);
            }
            else
            {
                BrokerDown(id);
            }
        }
    }

    /// <summary>Adds <paramref name="rttMs"/> of round-trip delay to every response of a broker (0 removes it).</summary>
    public void BrokerRtt(int brokerId, int rttMs) => Check(LibrdkafkaNative.Api.MockBrokerSetRtt(LiveCluster(), brokerId, rttMs), "broker rtt");

    /// <summary>
    /// The next <paramref name="errors"/>.Length requests of <paramref name="apiKey"/> (to any broker) fail with these
    /// codes, in order; the clients retry retriable ones as they would against a real cluster.
    /// </summary>
    public void PushRequestErrors(short apiKey, params int[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        fixed (int* codes = errors)
        {
            LibrdkafkaNative.Api.MockPushRequestErrorsArray(LiveCluster(), apiKey, (nuint)errors.Length, codes);
        }
    }

    /// <summary>Moves the leadership of one partition (clients learn it from NOT_LEADER errors and metadata).</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        var name = Encoding.UTF8.GetBytes(topic + "\0");
        fixed (byte* t = name)
        {
            Check(LibrdkafkaNative.Api.MockPartitionSetLeader(LiveCluster(), t, partition, brokerId), "partition leader");
        }
    }

    /// <summary>Moves the group coordinator of <paramref name="groupId"/> to another broker.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId)
    {
        var type = "group\0"u8.ToArray();
        var key = Encoding.UTF8.GetBytes(groupId + "\0");
        fixed (byte* t = type)
        fixed (byte* k = key)
        {
            Check(LibrdkafkaNative.Api.MockCoordinatorSet(LiveCluster(), t, k, brokerId), "coordinator");
        }
    }

    private IntPtr LiveCluster()
    {
        ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
        return _cluster;
    }

    private static void Check(int code, string what)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"mock cluster {what} failed: {Marshal.PtrToStringUTF8(LibrdkafkaNative.Api.ErrToStr(code))}");
        }
    }
}
