// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";

/// @title Consortium
/// @notice The members of the exchange and their quorum governance.
///
/// Members are kept as a bitmap of their codes. A vote belongs to the voter's term of
/// membership: each admission of a code starts a new term, so a member removed after voting no
/// longer counts, a re-admitted member votes afresh, and a rotated signer keeps its member's
/// votes. Every change of membership, signer, quorum or tag-key version is made by a proposal
/// that reaches the quorum before it expires; the proposer's vote is cast when the proposal is
/// created, and the vote that reaches the quorum executes it (or, after a quorum change, any
/// member through {execute}).
contract Consortium is IConsortium {
    struct Proposal {
        ProposalKind kind;
        bool executed;
        uint8 proposer;
        uint64 expiresAt;
        uint256 votes;
        bytes payload;
        mapping(uint8 code => uint32 term) voteTerms;
    }

    /// @notice How long a proposal stays open for votes, in seconds.
    uint64 public immutable proposalTtl;

    uint256 private _memberMask;
    uint8 private _quorum;
    uint32 private _tagKeyVersion;
    mapping(uint8 code => address signer) private _signers;
    mapping(address signer => uint8 code) private _codes;
    mapping(uint8 code => uint32 term) private _terms;
    mapping(uint256 proposalId => Proposal) private _proposals;
    uint256 private _proposalCount;

    /// @param codes founding member codes (e.g. 31, 32, 33, 34)
    /// @param signers the signer address of each founding member, in the order of `codes`
    /// @param quorum_ votes a proposal needs
    /// @param proposalTtl_ seconds a proposal stays open
    ///
    /// Requirements: codes unique and non-zero, signers unique and non-zero,
    /// 1 <= quorum_ <= number of members.
    constructor(uint8[] memory codes, address[] memory signers, uint8 quorum_, uint64 proposalTtl_) {
        if (codes.length != signers.length) revert ConsortiumFoundingMismatch(codes.length, signers.length);
        for (uint256 i; i < codes.length; ++i) {
            _addMember(codes[i], signers[i]);
        }
        _setQuorum(quorum_, codes.length);
        proposalTtl = proposalTtl_;
        _tagKeyVersion = 1;
        emit TagKeyVersionBumped(1);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function memberOf(address signer) external view returns (uint8 code, uint32 tagKeyVersion_) {
        code = _codes[signer];
        if (code == 0) revert ConsortiumNotAMember(signer);
        return (code, _tagKeyVersion);
    }

    /// @inheritdoc IConsortium
    function signerOf(uint8 code) external view returns (address) {
        return _signers[code];
    }

    /// @inheritdoc IConsortium
    function isMember(uint8 code) public view returns (bool) {
        return code != 0 && (_memberMask >> code) & 1 == 1;
    }

    /// @inheritdoc IConsortium
    function members() external view returns (uint8[] memory codes) {
        uint256 mask = _memberMask;
        codes = new uint8[](_popcount(mask));
        uint256 n;
        for (uint256 code = 1; code < 256; ++code) {
            if ((mask >> code) & 1 == 1) codes[n++] = uint8(code);
        }
    }

    /// @inheritdoc IConsortium
    function quorum() external view returns (uint8) {
        return _quorum;
    }

    /// @inheritdoc IConsortium
    function tagKeyVersion() external view returns (uint32) {
        return _tagKeyVersion;
    }

    /// @notice Number of proposals made so far; proposal ids run from 1 to this number.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @notice A proposal's kind, proposer, expiry, tally and payload.
    /// @dev Requirements: the proposal exists.
    function proposal(uint256 proposalId)
        external
        view
        returns (
            ProposalKind kind,
            ProposalState state,
            uint8 proposer,
            uint64 expiresAt,
            uint8 votes,
            bytes memory payload
        )
    {
        Proposal storage p = _existing(proposalId);
        return (p.kind, proposalState(proposalId), p.proposer, p.expiresAt, _tally(p), p.payload);
    }

    /// @notice Where a proposal stands.
    function proposalState(uint256 proposalId) public view returns (ProposalState) {
        Proposal storage p = _proposals[proposalId];
        if (p.kind == ProposalKind.None) return ProposalState.None;
        if (p.executed) return ProposalState.Executed;
        if (block.timestamp > p.expiresAt) return ProposalState.Expired;
        return ProposalState.Pending;
    }

    /// @notice Whether member `code` has voted for proposal `proposalId` in its current term.
    function hasVoted(uint256 proposalId, uint8 code) public view returns (bool) {
        Proposal storage p = _proposals[proposalId];
        return isMember(code) && (p.votes >> code) & 1 == 1 && p.voteTerms[code] == _terms[code];
    }

    // ----------------------------------------------------------------------------------------
    // Proposals
    // ----------------------------------------------------------------------------------------

    /// @notice Propose to admit member `code` with signer `signer`.
    /// @dev Requirements: caller is a member; `code` is not a member; `signer` is unused.
    /// Emits {ProposalCreated}, {Voted}, and on a quorum of one the execution's events.
    function proposeAddMember(uint8 code, address signer) external returns (uint256) {
        _checkNewMember(code, signer);
        return _propose(ProposalKind.AddMember, abi.encode(code, signer));
    }

    /// @notice Propose to remove member `code`.
    /// @dev Requirements: caller is a member; `code` is a member; the quorum stays reachable.
    /// Emits {ProposalCreated}, {Voted}.
    function proposeRemoveMember(uint8 code) external returns (uint256) {
        _checkRemoval(code);
        return _propose(ProposalKind.RemoveMember, abi.encode(code));
    }

    /// @notice Propose to replace the signer of member `code` with `newSigner`.
    /// @dev Requirements: caller is a member; `code` is a member; `newSigner` is unused.
    /// Emits {ProposalCreated}, {Voted}.
    function proposeRotateSigner(uint8 code, address newSigner) external returns (uint256) {
        _checkRotation(code, newSigner);
        return _propose(ProposalKind.RotateSigner, abi.encode(code, newSigner));
    }

    /// @notice Propose a new quorum.
    /// @dev Requirements: caller is a member; 1 <= newQuorum <= number of members.
    /// Emits {ProposalCreated}, {Voted}.
    function proposeSetQuorum(uint8 newQuorum) external returns (uint256) {
        _checkQuorum(newQuorum, _popcount(_memberMask));
        return _propose(ProposalKind.SetQuorum, abi.encode(newQuorum));
    }

    /// @notice Propose to move subject tags to the next consortium key version.
    /// @dev Requirements: caller is a member. Emits {ProposalCreated}, {Voted}.
    function proposeBumpTagKeyVersion() external returns (uint256) {
        return _propose(ProposalKind.BumpTagKeyVersion, abi.encode(_tagKeyVersion + 1));
    }

    /// @notice Propose a call from the consortium to `target`, such as adopting a
    /// recognition agreement in the Evaluations contract.
    /// @dev Requirements: caller is a member; `target` is a contract other than this one.
    /// Emits {ProposalCreated}, {Voted}.
    function proposeCall(address target, bytes calldata data) external returns (uint256) {
        if (target == address(this) || target.code.length == 0) revert ConsortiumInvalidCallTarget(target);
        return _propose(ProposalKind.Call, abi.encode(target, data));
    }

    /// @notice Vote for proposal `proposalId`; the vote that reaches the quorum executes it.
    /// @dev Requirements: caller is a member that has not voted on it; the proposal is
    /// pending; at execution, the change is still valid (otherwise the vote reverts with the
    /// reason and the proposal stays pending until it expires).
    /// Emits {Voted}, and on reaching the quorum {ProposalExecuted} with the change's events.
    function vote(uint256 proposalId) external {
        uint8 voter = _callerCode();
        Proposal storage p = _existing(proposalId);
        if (p.executed) revert ConsortiumProposalExecuted(proposalId);
        if (block.timestamp > p.expiresAt) revert ConsortiumProposalExpired(proposalId, p.expiresAt);
        if (hasVoted(proposalId, voter)) revert ConsortiumAlreadyVoted(proposalId, voter);
        _castVote(proposalId, p, voter);
    }

    /// @notice Execute a pending proposal whose votes already reach the quorum (which can
    /// happen when the quorum is lowered after the votes were cast).
    /// @dev Requirements: caller is a member; the proposal is pending and has the quorum; the
    /// change is still valid. Emits {ProposalExecuted} with the change's events.
    function execute(uint256 proposalId) external {
        _callerCode();
        Proposal storage p = _existing(proposalId);
        if (p.executed) revert ConsortiumProposalExecuted(proposalId);
        if (block.timestamp > p.expiresAt) revert ConsortiumProposalExpired(proposalId, p.expiresAt);
        uint8 tally = _tally(p);
        if (tally < _quorum) revert ConsortiumQuorumNotReached(proposalId, tally, _quorum);
        _executeProposal(proposalId, p);
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    function _propose(ProposalKind kind, bytes memory payload) private returns (uint256 proposalId) {
        uint8 proposer = _callerCode();
        proposalId = ++_proposalCount;
        Proposal storage p = _proposals[proposalId];
        p.kind = kind;
        p.proposer = proposer;
        p.expiresAt = uint64(block.timestamp) + proposalTtl;
        p.payload = payload;
        emit ProposalCreated(proposalId, kind, proposer, p.expiresAt, payload);
        _castVote(proposalId, p, proposer);
    }

    function _castVote(uint256 proposalId, Proposal storage p, uint8 voter) private {
        p.votes |= uint256(1) << voter;
        p.voteTerms[voter] = _terms[voter];
        uint8 tally = _tally(p);
        emit Voted(proposalId, voter, tally, _quorum);
        if (tally >= _quorum) _executeProposal(proposalId, p);
    }

    function _executeProposal(uint256 proposalId, Proposal storage p) private {
        p.executed = true;
        _execute(proposalId, p.kind, p.payload);
        emit ProposalExecuted(proposalId, p.kind);
    }

    function _execute(uint256 proposalId, ProposalKind kind, bytes memory payload) private {
        if (kind == ProposalKind.AddMember) {
            (uint8 code, address signer) = abi.decode(payload, (uint8, address));
            _checkNewMember(code, signer);
            _addMember(code, signer);
        } else if (kind == ProposalKind.RemoveMember) {
            uint8 code = abi.decode(payload, (uint8));
            _checkRemoval(code);
            address signer = _signers[code];
            _memberMask &= ~(uint256(1) << code);
            delete _codes[signer];
            delete _signers[code];
            emit MemberRemoved(code, signer);
        } else if (kind == ProposalKind.RotateSigner) {
            (uint8 code, address newSigner) = abi.decode(payload, (uint8, address));
            _checkRotation(code, newSigner);
            address previous = _signers[code];
            delete _codes[previous];
            _codes[newSigner] = code;
            _signers[code] = newSigner;
            emit SignerRotated(code, previous, newSigner);
        } else if (kind == ProposalKind.SetQuorum) {
            _setQuorum(abi.decode(payload, (uint8)), _popcount(_memberMask));
        } else if (kind == ProposalKind.BumpTagKeyVersion) {
            uint32 announced = abi.decode(payload, (uint32));
            if (announced != _tagKeyVersion + 1) revert ConsortiumStaleProposal(proposalId);
            _tagKeyVersion = announced;
            emit TagKeyVersionBumped(announced);
        } else {
            (address target, bytes memory data) = abi.decode(payload, (address, bytes));
            Address.functionCall(target, data);
        }
    }

    function _addMember(uint8 code, address signer) private {
        _checkNewMember(code, signer);
        _memberMask |= uint256(1) << code;
        _terms[code] += 1;
        _signers[code] = signer;
        _codes[signer] = code;
        emit MemberAdded(code, signer);
    }

    function _setQuorum(uint8 newQuorum, uint256 memberCount) private {
        _checkQuorum(newQuorum, memberCount);
        emit QuorumChanged(_quorum, newQuorum);
        _quorum = newQuorum;
    }

    function _checkNewMember(uint8 code, address signer) private view {
        if (code == 0) revert ConsortiumInvalidMemberCode(code);
        if (isMember(code)) revert ConsortiumMemberExists(code);
        if (signer == address(0)) revert ConsortiumZeroAddress();
        if (_codes[signer] != 0) revert ConsortiumSignerInUse(signer);
    }

    function _checkRemoval(uint8 code) private view {
        if (!isMember(code)) revert ConsortiumUnknownMember(code);
        uint256 remaining = _popcount(_memberMask) - 1;
        if (_quorum > remaining) revert ConsortiumQuorumUnreachable(_quorum, remaining);
    }

    function _checkRotation(uint8 code, address newSigner) private view {
        if (!isMember(code)) revert ConsortiumUnknownMember(code);
        if (newSigner == address(0)) revert ConsortiumZeroAddress();
        if (_codes[newSigner] != 0) revert ConsortiumSignerInUse(newSigner);
    }

    function _checkQuorum(uint8 newQuorum, uint256 memberCount) private pure {
        if (newQuorum == 0 || newQuorum > memberCount) revert ConsortiumInvalidQuorum(newQuorum, memberCount);
    }

    function _callerCode() private view returns (uint8 code) {
        code = _codes[msg.sender];
        if (code == 0) revert ConsortiumNotAMember(msg.sender);
    }

    function _existing(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.kind == ProposalKind.None) revert ConsortiumUnknownProposal(proposalId);
    }

    /// @dev Votes of current members cast in their current term.
    function _tally(Proposal storage p) private view returns (uint8 n) {
        uint256 voters = p.votes & _memberMask;
        while (voters != 0) {
            uint8 code = uint8(Math.log2(voters));
            if (p.voteTerms[code] == _terms[code]) ++n;
            voters &= ~(uint256(1) << code);
        }
    }

    function _popcount(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }
}
