// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Enumerable} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721Enumerable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// BlockHost access credentials: one token per VM, holding the VM's connection details
/// encrypted with a key only the holder's wallet can re-derive. Token ids start at 0.
/// ABI-compatible with upstream BlockHost; the deliberate difference (mint uses _mint, not
/// _safeMint) is explained in contracts/README.md.
contract AccessCredentialNFT is ERC721, ERC721Enumerable, Ownable {
    uint256 private _nextTokenId;
    mapping(uint256 => bytes) private _userEncrypted;

    event CredentialMinted(uint256 indexed tokenId, address indexed recipient);
    event CredentialUpdated(uint256 indexed tokenId);

    constructor(string memory name_, string memory symbol_) ERC721(name_, symbol_) Ownable(msg.sender) {}

    /// Minted after the VM exists, so it must not revert because the buyer's wallet is a
    /// contract without onERC721Received: _mint, not _safeMint.
    function mint(address to, bytes calldata userEncrypted) external onlyOwner returns (uint256) {
        uint256 tokenId = _nextTokenId++;
        _mint(to, tokenId);
        _userEncrypted[tokenId] = userEncrypted;
        emit CredentialMinted(tokenId, to);
        return tokenId;
    }

    function updateUserEncrypted(uint256 tokenId, bytes calldata userEncrypted) external onlyOwner {
        require(_ownerOf(tokenId) != address(0), "Token does not exist");
        _userEncrypted[tokenId] = userEncrypted;
        emit CredentialUpdated(tokenId);
    }

    function getUserEncrypted(uint256 tokenId) external view returns (bytes memory) {
        require(_ownerOf(tokenId) != address(0), "Token does not exist");
        return _userEncrypted[tokenId];
    }

    function _update(address to, uint256 tokenId, address auth)
        internal
        override(ERC721, ERC721Enumerable)
        returns (address)
    {
        return super._update(to, tokenId, auth);
    }

    function _increaseBalance(address account, uint128 amount) internal override(ERC721, ERC721Enumerable) {
        super._increaseBalance(account, amount);
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, ERC721Enumerable) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
