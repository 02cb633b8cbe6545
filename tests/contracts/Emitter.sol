// SPDX-License-Identifier: MIT
// Test contract for tests/integration/test_eth_anvil.sh: events with indexed and
// non-indexed parameters of the types BlockHost's ABI decoder handles, a view returning
// the getSubscription tuple shape, and reverts (custom error, Error(string), Panic).
pragma solidity ^0.8.20;

contract Emitter {
	event Fired(uint256 indexed id, address indexed who, uint256 amount, address token,
	            bytes blob, string text, uint256[] list);
	event Tagged(string indexed tag, bool flag, address sender);

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
