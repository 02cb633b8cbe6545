// SPDX-License-Identifier: MIT
// Test contract for tests/integration/test_eth_anvil.sh: events with indexed and
// non-indexed parameters of the types BlockHost's ABI decoder handles, a view returning
// the getSubscription tuple shape, and reverts (custom error, Error(string), Panic).
pragma solidity ^0.8.20;

contract Emitter {
	event Fired(uint256 indexed id, address indexed who, uint256 amount, address token,
	            bytes blob, string text, uint256[] list);
	event Tagged(string indexed tag, bool flag, address sender);
	// BlockHost's own events with their exact signatures (upstream.md §6), for eth/events.h
	event SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId,
	                          address indexed subscriber, uint256 expiresAt, uint256 paidAmount,
	                          address paymentToken, bytes userEncrypted);
	event SubscriptionExtended(uint256 indexed subscriptionId, uint256 indexed planId,
	                           address indexed extendedBy, uint256 newExpiresAt,
	                           uint256 paidAmount, address paymentToken);
	event SubscriptionCancelled(uint256 indexed subscriptionId, uint256 indexed planId,
	                            address indexed subscriber);
	event CredentialMinted(uint256 indexed tokenId, address indexed recipient);
	event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);

	error PlanNotFound(uint256 planId);

	uint256 public counter;

	function fire(uint256 id, address who, uint256 amount, address token, bytes calldata blob,
	              string calldata text, uint256[] calldata list) external {
		counter++;
		emit Fired(id, who, amount, token, blob, text, list);
	}

	function fireTagged(string calldata tag, bool flag) external {
		emit Tagged(tag, flag, msg.sender);
	}

	function fireBlockhost(uint256 subId, uint256 planId, address who, uint256 expiresAt,
	                       uint256 paid, address token, bytes calldata user) external {
		emit SubscriptionCreated(subId, planId, who, expiresAt, paid, token, user);
		emit SubscriptionExtended(subId, planId, msg.sender, expiresAt + 86400, paid, token);
		emit SubscriptionCancelled(subId, planId, who);
		emit CredentialMinted(subId, who);
		emit Transfer(address(0), who, subId);
	}

	function get(uint256 id) external view returns (uint256, address, uint256, bool, bool) {
		return (id, address(this), id * 2, true, false);
	}

	function failCustom(uint256 id) external pure {
		revert PlanNotFound(id);
	}

	function failMessage() external pure {
		require(false, "Token does not exist");
	}

	function failPanic(uint256 a) external pure returns (uint256) {
		return a + type(uint256).max;
	}
}
