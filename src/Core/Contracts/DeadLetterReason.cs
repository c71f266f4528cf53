namespace FraudStream.Core.Contracts;

/// <summary>Why a message could not be decided. Stable codes: they are stored and shown to operators.</summary>
public enum DeadLetterReason : byte
{
    None = 0,
    PayloadTooLarge,
    InvalidUtf8,
    InvalidJson,
    NotAnObject,
    MissingField,
    WrongType,
    InvalidValue,
    NonPositiveAmount,
    UnknownCurrency,
    UnknownCountry,
    UnknownChannel,
    InvalidTimestamp,
    DuplicateField,
    TimestampOutOfRange,
    AmountOutOfRange,
    StoreRefused,
    ConflictingDuplicate,
}

public static class DeadLetterReasonNames
{
    public static string ToCode(this DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.None => "none",
        DeadLetterReason.PayloadTooLarge => "payload_too_large",
        DeadLetterReason.InvalidUtf8 => "invalid_utf8",
        DeadLetterReason.InvalidJson => "invalid_json",
        DeadLetterReason.NotAnObject => "not_an_object",
        DeadLetterReason.MissingField => "missing_field",
        DeadLetterReason.WrongType => "wrong_type",
        DeadLetterReason.InvalidValue => "invalid_value",
        DeadLetterReason.NonPositiveAmount => "non_positive_amount",
        DeadLetterReason.UnknownCurrency => "unknown_currency",
        DeadLetterReason.UnknownCountry => "unknown_country",
        DeadLetterReason.UnknownChannel => "unknown_channel",
        DeadLetterReason.InvalidTimestamp => "invalid_timestamp",
        DeadLetterReason.DuplicateField => "duplicate_field",
        DeadLetterReason.TimestampOutOfRange => "timestamp_out_of_range",
        DeadLetterReason.AmountOutOfRange => "amount_out_of_range",
        DeadLetterReason.StoreRefused => "store_refused",
        DeadLetterReason.ConflictingDuplicate => "conflicting_duplicate",
        _ => "unknown",
    };
}

/// <summary>A reason code with the detail an operator needs (which field, what was wrong).</summary>
public readonly record struct ParseError(DeadLetterReason Reason, string Detail)
{
    public override string ToString() => $"{Reason.ToCode()}: {Detail}";
}
