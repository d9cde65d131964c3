// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {ICreditLists} from "./interfaces/ICreditLists.sol";

/// @title CreditLists
/// @notice Red and black list entries of the consortium members and their lifecycle.
///
/// Each entry costs one storage slot: the state the rules need (owner, list type, status,
/// domain, version, validity). The subject tag and the commitment of every version are
/// written to the log by {EntryPublished} and {EntryAmended}, where readers and auditors
/// take them from; nothing on the ledger identifies a subject or reveals a record.
contract CreditLists is ICreditLists {
    IConsortium public immutable consortium;

    mapping(bytes32 entryId => Entry) private _entries;

    constructor(IConsortium consortium_) {
        consortium = consortium_;
    }

    /// @inheritdoc ICreditLists
    function entry(bytes32 entryId) external view returns (Entry memory e) {
        e = _entries[entryId];
        if (e.status == Status.None) revert CreditListsEntryNotFound(entryId);
    }

    /// @inheritdoc ICreditLists
    function entryIdOf(uint8 province, bytes32 localId) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(province, localId));
    }

    /// @notice Publish a batch of new entries owned by the caller's province, each at version 1
    /// in status PUBLISHED. The batch is atomic.
    /// @param tagKeyVersion the consortium key version the subject tags were derived with
    /// @dev Requirements: the caller is the current signer of a member; `tagKeyVersion` is the
    /// current one; the batch is not empty; no entry exists yet; list type red or black;
    /// commitment and local id non-zero; `validUntil` is 0 or after `validFrom`.
    /// Emits {EntryPublished} for each entry, then {BatchPublished}.
    function publishBatch(uint32 tagKeyVersion, NewEntry[] calldata entries) external {
        (uint8 province, uint32 currentVersion) = consortium.memberOf(msg.sender);
        if (tagKeyVersion != currentVersion) revert CreditListsStaleTagKeyVersion(tagKeyVersion, currentVersion);
        uint256 n = entries.length;
        if (n == 0) revert CreditListsEmptyBatch();
        for (uint256 i; i < n; ) {
            NewEntry calldata e = entries[i];
            bytes32 localId = e.localId;
            ListType listType = e.listType;
            bytes32 commitment = e.commitment;
            uint40 validFrom = e.validFrom;
            uint40 validUntil = e.validUntil;
            uint16 domain = e.domain;
            if (localId == bytes32(0)) revert CreditListsZeroLocalId();
            bytes32 entryId = entryIdOf(province, localId);
            if (listType != ListType.Red && listType != ListType.Black) {
                revert CreditListsInvalidListType(localId, listType);
            }
            if (commitment == bytes32(0)) revert CreditListsZeroCommitment(entryId);
            _checkValidity(entryId, validFrom, validUntil);
            Entry storage s = _entries[entryId];
            if (s.status != Status.None) revert CreditListsEntryExists(entryId);
            s.province = province;
            s.listType = listType;
            s.status = Status.Published;
            s.domain = domain;
            s.version = 1;
            s.validFrom = validFrom;
            s.validUntil = validUntil;
            s.updatedAt = uint40(block.timestamp);
            emit EntryPublished(entryId, e.subjectTag, province, listType, domain, commitment, validFrom, validUntil);
            unchecked {
                ++i;
            }
        }
        emit BatchPublished(province, tagKeyVersion, n);
    }

    /// @notice Record new versions of the caller's entries (a correction, or the outcome of an
    /// upheld objection). Each goes to status AMENDED with its version increased by one.
    /// @dev Requirements: the caller owns every entry; each is PUBLISHED, AMENDED or DISPUTED;
    /// commitment non-zero; `validUntil` is 0 or after `validFrom`.
    /// Emits {EntryAmended} for each entry.
    function amendBatch(Amendment[] calldata amendments) external {
        uint8 province = _callerProvince();
        uint256 n = amendments.length;
        if (n == 0) revert CreditListsEmptyBatch();
        for (uint256 i; i < n; ) {
            Amendment calldata a = amendments[i];
            Entry storage s = _owned(a.entryId, province);
            Status previous = s.status;
            if (previous != Status.Published && previous != Status.Amended && previous != Status.Disputed) {
                revert CreditListsIllegalTransition(a.entryId, previous, Status.Amended);
            }
            if (a.commitment == bytes32(0)) revert CreditListsZeroCommitment(a.entryId);
            _checkValidity(a.entryId, a.validFrom, a.validUntil);
            uint32 version = s.version + 1;
            s.status = Status.Amended;
            s.version = version;
            s.validFrom = a.validFrom;
            s.validUntil = a.validUntil;
            s.updatedAt = uint40(block.timestamp);
            emit EntryAmended(a.entryId, province, version, previous, a.commitment, a.validFrom, a.validUntil);
            unchecked {
                ++i;
            }
        }
    }

    /// @notice Move the caller's entries to new statuses: DISPUTED (objection opened),
    /// PUBLISHED (objection rejected), REPAIRED (credit repair), EXPIRED, REVOKED.
    /// @dev Requirements: the caller owns every entry and every change is a legal transition
    /// (see the lifecycle in {ICreditLists}); REPAIRED only for black-list entries; EXPIRED only
    /// once `validUntil` has passed. The batch is atomic.
    /// Emits {EntryStatusChanged} for each change.
    function changeStatusBatch(StatusChange[] calldata changes) external {
        uint8 province = _callerProvince();
        uint256 n = changes.length;
        if (n == 0) revert CreditListsEmptyBatch();
        for (uint256 i; i < n; ) {
            StatusChange calldata c = changes[i];
            Entry storage s = _owned(c.entryId, province);
            Status previous = s.status;
            _checkTransition(c.entryId, s, previous, c.status);
            s.status = c.status;
            s.updatedAt = uint40(block.timestamp);
            emit EntryStatusChanged(c.entryId, province, previous, c.status, s.version);
            unchecked {
                ++i;
            }
        }
    }

    function _checkTransition(bytes32 entryId, Entry storage s, Status from, Status to) private view {
        bool active = from == Status.Published || from == Status.Amended;
        bool legal;
        if (to == Status.Disputed) {
            legal = active;
        } else if (to == Status.Published) {
            legal = from == Status.Disputed;
        } else if (to == Status.Repaired) {
            legal = active;
            if (legal && s.listType != ListType.Black) revert CreditListsRepairNotApplicable(entryId, s.listType);
        } else if (to == Status.Expired) {
            legal = active || from == Status.Disputed;
            if (legal && (s.validUntil == 0 || block.timestamp < s.validUntil)) {
                revert CreditListsNotYetExpired(entryId, s.validUntil);
            }
        } else if (to == Status.Revoked) {
            legal = from != Status.Revoked;
        }
        // AMENDED is reached through amendBatch only; NONE never.
        if (!legal) revert CreditListsIllegalTransition(entryId, from, to);
    }

    function _checkValidity(bytes32 entryId, uint40 validFrom, uint40 validUntil) private pure {
        if (validUntil != 0 && validUntil <= validFrom) revert CreditListsInvalidValidity(entryId, validFrom, validUntil);
    }

    function _owned(bytes32 entryId, uint8 province) private view returns (Entry storage s) {
        s = _entries[entryId];
        if (s.status == Status.None) revert CreditListsEntryNotFound(entryId);
        if (s.province != province) revert CreditListsUnauthorized(msg.sender, entryId);
    }

    function _callerProvince() private view returns (uint8 province) {
        (province, ) = consortium.memberOf(msg.sender);
    }
}
