// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IEvaluations} from "./interfaces/IEvaluations.sol";

/// @title Evaluations
/// @notice Credit evaluation results and their mutual recognition (see {IEvaluations}).
contract Evaluations is IEvaluations {
    IConsortium public immutable consortium;

    mapping(bytes32 resultId => Result) private _results;
    mapping(uint16 domain => uint32 version) private _agreementVersions;
    mapping(uint16 domain => uint8 levels) private _yrdLevels;
    /// @dev keccak256(domain, version, province, schemeId) => YRD grade of each local grade.
    mapping(bytes32 mappingKey => uint8[] yrdGrades) private _schemeMappings;
    mapping(bytes32 resultId => mapping(uint8 province => Recognition)) private _recognitions;

    constructor(IConsortium consortium_) {
        consortium = consortium_;
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IEvaluations
    function result(bytes32 resultId) external view returns (Result memory r) {
        r = _results[resultId];
        if (r.status == ResultStatus.None) revert EvaluationsResultNotFound(resultId);
    }

    /// @notice The result id of `localId` published by `province`.
    function resultIdOf(uint8 province, bytes32 localId) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(province, localId));
    }

    /// @notice The version of the agreement in force for `domain` (0: none) and the number of
    /// grades of its YRD scale.
    function agreement(uint16 domain) external view returns (uint32 version, uint8 yrdLevels) {
        return (_agreementVersions[domain], _yrdLevels[domain]);
    }

    /// @notice The YRD grades of each local grade of a scheme under agreement `version` of
    /// `domain`; empty when the scheme is not mapped.
    function schemeMapping(uint16 domain, uint32 version, uint8 province, uint32 schemeId)
        external
        view
        returns (uint8[] memory)
    {
        return _schemeMappings[_mappingKey(domain, version, province, schemeId)];
    }

    /// @notice The YRD grade `province` would give `resultId` under the agreement in force.
    /// @dev Requirements: the result exists, its domain has an agreement that maps its scheme
    /// and grade.
    function mappedGrade(bytes32 resultId) public view returns (uint8 yrdGrade, uint32 agreementVersion) {
        Result storage r = _results[resultId];
        if (r.status == ResultStatus.None) revert EvaluationsResultNotFound(resultId);
        agreementVersion = _agreementVersions[r.domain];
        if (agreementVersion == 0) revert EvaluationsNoAgreement(r.domain);
        uint8[] storage grades = _schemeMappings[_mappingKey(r.domain, agreementVersion, r.province, r.schemeId)];
        if (grades.length == 0) revert EvaluationsSchemeNotMapped(r.domain, r.province, r.schemeId);
        if (r.grade > grades.length) revert EvaluationsGradeNotMapped(resultId, r.grade);
        yrdGrade = grades[r.grade - 1];
    }

    /// @inheritdoc IEvaluations
    function recognisedGrade(bytes32 resultId, uint8 province)
        external
        view
        returns (bool recognised, uint8 yrdGrade, uint32 agreementVersion)
    {
        Result storage r = _results[resultId];
        Recognition storage rec = _recognitions[resultId][province];
        if (rec.agreementVersion == 0 || r.status != ResultStatus.Active || _expired(r)) {
            return (false, 0, rec.agreementVersion);
        }
        return (true, rec.yrdGrade, rec.agreementVersion);
    }

    /// @notice The recognition of `resultId` by `province`, whatever the result's state.
    function recognition(bytes32 resultId, uint8 province) external view returns (Recognition memory) {
        return _recognitions[resultId][province];
    }

    // ----------------------------------------------------------------------------------------
    // Results
    // ----------------------------------------------------------------------------------------

    /// @notice Publish evaluation results owned by the caller's province. The batch is atomic.
    /// @dev Requirements: the caller is the current signer of a member; the batch is not
    /// empty; no result exists yet; local id, commitment and grade non-zero; `validUntil` is 0
    /// or after `evaluatedAt`.
    /// Emits {ResultPublished} for each result.
    function publishResults(NewResult[] calldata results) external {
        uint8 province = _callerProvince();
        uint256 n = results.length;
        if (n == 0) revert EvaluationsEmptyBatch();
        for (uint256 i; i < n; ) {
            NewResult calldata x = results[i];
            if (x.localId == bytes32(0)) revert EvaluationsZeroLocalId();
            bytes32 resultId = resultIdOf(province, x.localId);
            if (x.commitment == bytes32(0)) revert EvaluationsZeroCommitment(resultId);
            if (x.grade == 0) revert EvaluationsInvalidGrade(resultId, x.grade);
            if (x.validUntil != 0 && x.validUntil <= x.evaluatedAt) {
                revert EvaluationsInvalidValidity(resultId, x.evaluatedAt, x.validUntil);
            }
            if (_results[resultId].status != ResultStatus.None) revert EvaluationsResultExists(resultId);
            _results[resultId] = Result({
                province: province,
                status: ResultStatus.Active,
                domain: x.domain,
                schemeId: x.schemeId,
                grade: x.grade,
                evaluatedAt: x.evaluatedAt,
                validUntil: x.validUntil
            });
            emit ResultPublished(
                resultId,
                x.subjectTag,
                province,
                x.localId,
                x.domain,
                x.schemeId,
                x.grade,
                x.commitment,
                x.evaluatedAt,
                x.validUntil
            );
            unchecked {
                ++i;
            }
        }
    }

    /// @notice Withdraw the caller's results; recognitions of them stop counting.
    /// @dev Requirements: the caller owns every result and each is active.
    /// Emits {ResultRevoked} for each result.
    function revokeResults(bytes32[] calldata resultIds) external {
        uint8 province = _callerProvince();
        uint256 n = resultIds.length;
        if (n == 0) revert EvaluationsEmptyBatch();
        for (uint256 i; i < n; ) {
            bytes32 resultId = resultIds[i];
            Result storage r = _results[resultId];
            if (r.status == ResultStatus.None) revert EvaluationsResultNotFound(resultId);
            if (r.province != province) revert EvaluationsUnauthorized(msg.sender, resultId);
            if (r.status != ResultStatus.Active) revert EvaluationsResultNotActive(resultId);
            r.status = ResultStatus.Revoked;
            emit ResultRevoked(resultId, province);
            unchecked {
                ++i;
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Mutual recognition
    // ----------------------------------------------------------------------------------------

    /// @notice Adopt a new recognition agreement for `domain`: a YRD scale of `yrdLevels`
    /// grades and the mapping of each member scheme onto it. Replaces the agreement in force.
    /// @dev Requirements: called by the consortium (a proposal that reached its quorum);
    /// every mapping names a member, is not empty, and maps into 1..yrdLevels.
    /// Emits {AgreementAdopted}, then {SchemeMapped} for each mapping.
    function adoptAgreement(uint16 domain, uint8 yrdLevels, SchemeMapping[] calldata mappings) external {
        if (msg.sender != address(consortium)) revert EvaluationsOnlyConsortium(msg.sender);
        if (yrdLevels == 0 || mappings.length == 0) revert EvaluationsInvalidAgreement(domain, 0);
        uint32 version = _agreementVersions[domain] + 1;
        _agreementVersions[domain] = version;
        _yrdLevels[domain] = yrdLevels;
        emit AgreementAdopted(domain, version, yrdLevels);
        for (uint256 i; i < mappings.length; ++i) {
            SchemeMapping calldata m = mappings[i];
            if (!consortium.isMember(m.province) || m.yrdGrades.length == 0) {
                revert EvaluationsInvalidAgreement(domain, i);
            }
            for (uint256 g; g < m.yrdGrades.length; ++g) {
                if (m.yrdGrades[g] == 0 || m.yrdGrades[g] > yrdLevels) revert EvaluationsInvalidAgreement(domain, i);
            }
            bytes32 key = _mappingKey(domain, version, m.province, m.schemeId);
            if (_schemeMappings[key].length != 0) revert EvaluationsInvalidAgreement(domain, i);
            _schemeMappings[key] = m.yrdGrades;
            emit SchemeMapped(domain, version, m.province, m.schemeId, m.yrdGrades);
        }
    }

    /// @notice Recognise other provinces' results under the agreements in force, fixing the
    /// YRD grade the caller's province applies to each.
    /// @dev Requirements: the caller is the current signer of a member; each result exists,
    /// is active, not past its valid-until, owned by another province, mapped by the agreement
    /// in force, and not yet recognised by the caller under that agreement version.
    /// Emits {ResultRecognised} for each result.
    function recognise(bytes32[] calldata resultIds) external {
        uint8 province = _callerProvince();
        uint256 n = resultIds.length;
        if (n == 0) revert EvaluationsEmptyBatch();
        for (uint256 i; i < n; ) {
            bytes32 resultId = resultIds[i];
            Result storage r = _results[resultId];
            if (r.status == ResultStatus.None) revert EvaluationsResultNotFound(resultId);
            if (r.status != ResultStatus.Active) revert EvaluationsResultNotActive(resultId);
            if (_expired(r)) revert EvaluationsResultExpired(resultId, r.validUntil);
            if (r.province == province) revert EvaluationsOwnResult(resultId);
            (uint8 yrdGrade, uint32 version) = mappedGrade(resultId);
            Recognition storage rec = _recognitions[resultId][province];
            if (rec.agreementVersion == version) revert EvaluationsAlreadyRecognised(resultId, province, version);
            rec.yrdGrade = yrdGrade;
            rec.agreementVersion = version;
            rec.recognisedAt = uint40(block.timestamp);
            emit ResultRecognised(resultId, province, yrdGrade, version);
            unchecked {
                ++i;
            }
        }
    }

    function _expired(Result storage r) private view returns (bool) {
        return r.validUntil != 0 && block.timestamp >= r.validUntil;
    }

    function _mappingKey(uint16 domain, uint32 version, uint8 province, uint32 schemeId) private pure returns (bytes32) {
        return keccak256(abi.encode(domain, version, province, schemeId));
    }

    function _callerProvince() private view returns (uint8 province) {
        (province, ) = consortium.memberOf(msg.sender);
    }
}
