// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ICreditLists
/// @notice Red-list and serious-dishonesty (black) list entries shared by the consortium.
/// Only hashes, codes, states and times are recorded: the record itself stays with its owner
/// province, bound to the ledger by its salted commitment.
///
/// Entry id: `keccak256(abi.encodePacked(uint8 provinceCode, bytes32 localId))`, where
/// `localId` is the owner's list number, ASCII, right-padded with zero bytes.
///
/// Lifecycle:
///
///     (none) --publish--> PUBLISHED
///     PUBLISHED | AMENDED --object--> DISPUTED
///     DISPUTED --objection rejected--> PUBLISHED
///     PUBLISHED | AMENDED | DISPUTED --amend (new version, new commitment)--> AMENDED
///     PUBLISHED | AMENDED --credit repair, black list only--> REPAIRED
///     PUBLISHED | AMENDED | DISPUTED --valid-until reached--> EXPIRED
///     any state but REVOKED --withdrawn as wrong--> REVOKED
interface ICreditLists {
    enum ListType {
        None,
        Red,
        Black
    }

    enum Status {
        None,
        Published,
        Disputed,
        Amended,
        Repaired,
        Expired,
        Revoked
    }

    /// @notice One entry to publish. `validUntil` 0 means no end date.
    struct NewEntry {
        bytes32 localId;
        ListType listType;
        uint16 domain;
        bytes32 subjectTag;
        bytes32 commitment;
        uint40 validFrom;
        uint40 validUntil;
    }

    /// @notice A new version of an existing entry.
    struct Amendment {
        bytes32 entryId;
        bytes32 commitment;
        uint40 validFrom;
        uint40 validUntil;
    }

    /// @notice A status change without new content.
    struct StatusChange {
        bytes32 entryId;
        Status status;
    }

    /// @notice The state of an entry, packed in one storage slot. The subject tag and the
    /// commitment of each version are carried by {EntryPublished} and {EntryAmended}.
    struct Entry {
        uint8 province;
        ListType listType;
        Status status;
        uint16 domain;
        uint32 version;
        uint40 validFrom;
        uint40 validUntil;
        uint40 updatedAt;
    }

    event EntryPublished(
        bytes32 indexed entryId,
        bytes32 indexed subjectTag,
        uint8 indexed province,
        ListType listType,
        uint16 domain,
        bytes32 commitment,
        uint40 validFrom,
        uint40 validUntil
    );
    event EntryAmended(
        bytes32 indexed entryId,
        uint8 indexed province,
        uint32 version,
        Status previousStatus,
        bytes32 commitment,
        uint40 validFrom,
        uint40 validUntil
    );
    event EntryStatusChanged(
        bytes32 indexed entryId,
        uint8 indexed province,
        Status previousStatus,
        Status status,
        uint32 version
    );
    event BatchPublished(uint8 indexed province, uint32 tagKeyVersion, uint256 count);

    error CreditListsUnauthorized(address account, bytes32 entryId);
    error CreditListsEmptyBatch();
    error CreditListsStaleTagKeyVersion(uint32 given, uint32 current);
    error CreditListsEntryExists(bytes32 entryId);
    error CreditListsEntryNotFound(bytes32 entryId);
    error CreditListsInvalidListType(bytes32 localId, ListType listType);
    error CreditListsZeroLocalId();
    error CreditListsZeroCommitment(bytes32 entryId);
    error CreditListsInvalidValidity(bytes32 entryId, uint40 validFrom, uint40 validUntil);
    error CreditListsIllegalTransition(bytes32 entryId, Status from, Status to);
    error CreditListsRepairNotApplicable(bytes32 entryId, ListType listType);
    error CreditListsNotYetExpired(bytes32 entryId, uint40 validUntil);

    /// @notice The state of entry `entryId`.
    function entry(bytes32 entryId) external view returns (Entry memory);

    /// @notice The entry id of `localId` published by `province`.
    function entryIdOf(uint8 province, bytes32 localId) external pure returns (bytes32);
}
